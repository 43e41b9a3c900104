"""A measure's history in the admin: each version with its nested parts, read-only; the
differences between any two versions; and a revert that brings the nested parts back too
(``services.restore_version``), with a change reason."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .admin_forms import change_reason_field
from .history import FIELD_NAMES, changed_fields, version_snapshot
from .models import Measure
from .services import restore_version

# How each nested list reads: its title, and the keys of its entries as columns.
PART_TABLES = (
    ("materials", "Materials", ("material", "scope")),
    ("events", "Events", ("date", "type", "scheduled", "note", "source_url")),
    ("sources", "Sources", ("url", "title", "publisher", "published_on")),
    ("related", "Relations to other measures", ("relation", "measure")),
)
PLAIN_LISTS = (
    ("authorities", "Authorities"),
    ("target_jurisdictions", "Target jurisdictions"),
    ("sectors", "Sectors"),
)


class RevertForm(forms.Form):
    change_reason = change_reason_field()


class CompareForm(forms.Form):
    older = forms.IntegerField(label="Older version")
    newer = forms.IntegerField(label="Newer version")


def shown(value) -> str:
    """A snapshot value as one readable text: lists one entry per line."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return "\n".join(
            "; ".join(f"{k}: {v}" for k, v in entry.items() if v not in ("", None, False))
            if isinstance(entry, dict)
            else str(entry)
            for entry in value
        )
    return str(value)


class MeasureHistoryAdminMixin:
    """For ``MeasureAdmin``: replaces simple_history's version form (which shows and reverts
    the measure's own columns only) with the whole version, and adds the comparison."""

    object_history_template = "admin/timeline/measure/object_history.html"

    def get_urls(self):
        urls = super().get_urls()
        compare = path(
            "<path:object_id>/history/compare/",
            self.admin_site.admin_view(self.compare_view),
            name="timeline_measure_history_compare",
        )
        return [compare, *urls]

    def _version(self, request, object_id, version_id):
        version = get_object_or_404(Measure.history.model, id=object_id, history_id=version_id)
        if not self.has_view_history_or_change_history_permission(request, None):
            raise PermissionDenied
        return version

    def _context(self, request, object_id, title: str) -> dict:
        measure = Measure.objects.filter(pk=object_id).first()
        return {
            **self.admin_site.each_context(request),
            "opts": Measure._meta,
            "app_label": "timeline",
            "title": title,
            "original": measure,
            "object_id": object_id,
            "history_url": reverse("admin:timeline_measure_history", args=[object_id]),
        }

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        version = self._version(request, object_id, version_id)
        form = RevertForm(request.POST or None)
        can_revert = self.has_change_permission(request, None)
        if request.method == "POST":
            if not can_revert:
                raise PermissionDenied
            if form.is_valid():
                reason = form.cleaned_data["change_reason"] or (
                    f"reverted to version {version.history_id} in the admin"
                )
                try:
                    measure = restore_version(version, reason=reason)
                except ValidationError as error:
                    form.add_error(None, error.messages)
                else:
                    messages.success(
                        request, f"{measure.key} is back to version {version.history_id}."
                    )
                    return HttpResponseRedirect(
                        reverse("admin:timeline_measure_change", args=[measure.pk])
                    )
        snapshot = version_snapshot(version)
        context = {
            **self._context(
                request,
                object_id,
                f"{version.key}: version {version.history_id} of "
                f"{version.history_date:%Y-%m-%d %H:%M:%S} UTC",
            ),
            "version": version,
            "fields": [
                (Measure._meta.get_field(name).verbose_name, shown(snapshot[name]))
                for name in FIELD_NAMES
            ],
            "lists": [(title, shown(snapshot[name])) for name, title in PLAIN_LISTS],
            "tables": [
                (title, columns, [[entry.get(c) for c in columns] for entry in snapshot[name]])
                for name, title, columns in PART_TABLES
            ],
            "form": form,
            "can_revert": can_revert,
        }
        return TemplateResponse(request, "admin/timeline/measure/version.html", context)

    def compare_view(self, request, object_id):
        versions = list(Measure.history.filter(id=object_id).order_by("history_date", "history_id"))
        if not versions:
            raise Http404("This measure has no history.")
        if not self.has_view_history_or_change_history_permission(request, None):
            raise PermissionDenied
        default = {
            "older": versions[-2].history_id if len(versions) > 1 else versions[0].history_id,
            "newer": versions[-1].history_id,
        }
        form = CompareForm(request.GET if "older" in request.GET else None, initial=default)
        chosen = form.cleaned_data if form.is_valid() else default
        by_id = {version.history_id: version for version in versions}
        older, newer = by_id.get(chosen["older"]), by_id.get(chosen["newer"])
        if older is None or newer is None:
            form.add_error(None, "Choose two versions of this measure.")
            differences = []
        else:
            changes = changed_fields(version_snapshot(older), version_snapshot(newer))
            differences = [
                (name.replace("_", " "), shown(change["old"]), shown(change["new"]))
                for name, change in changes.items()
            ]
        context = {
            **self._context(request, object_id, "Compare two versions"),
            "versions": list(reversed(versions)),
            "form": form,
            "older": older,
            "newer": newer,
            "differences": differences,
        }
        return TemplateResponse(request, "admin/timeline/measure/compare.html", context)
