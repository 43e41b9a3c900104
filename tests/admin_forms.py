"""Submit an admin change form as a person would: read the page, change some fields, post
every field back (inlines included)."""

from html.parser import HTMLParser

from django.contrib.admin.templatetags.admin_urls import admin_urlname
from django.urls import reverse


class _FormFields(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # Django starts a textarea with a newline that browsers drop.
            value = self.fields[self._textarea][0]
            self.fields[self._textarea][0] = value.removeprefix("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][0] += data


def admin_change(admin_client, instance, **changes):
    """Post ``instance``'s admin change form with ``changes``; returns the response."""
    url = reverse(admin_urlname(instance._meta, "change"), args=[instance.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    data = {name: values for name, values in parser.fields.items() if not name.startswith("_")}
    data.pop("csrfmiddlewaretoken", None)
    data.update({name: [value] for name, value in changes.items()})
    data = {name: values if len(values) != 1 else values[0] for name, values in data.items()}
    data["_save"] = "Save"
    return admin_client.post(url, data)
