"""Form pieces of the admin: HS codes as a list of codes, a change reason on every save,
event notes on one line unless long."""

from __future__ import annotations

import re

from django import forms

from .models import normalize_hs_code

# simple_history's history_change_reason column holds this many characters.
CHANGE_REASON_LENGTH = 100
# A note longer than this, or holding a line break, gets a box of several lines.
SHORT_NOTE = 80


class HSCodeListField(forms.CharField):
    """HS codes typed as a list, one per line or separated by commas or semicolons, with dots
    and spaces as written ("2805.30, 8505 11"); cleaned to the stored list of digit strings.
    Whether each code exists is ``Material.clean``'s to say (``HSCode.objects.problems``)."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 30, "placeholder": "2805.30\n8505.11"})
    SEPARATORS = re.compile(r"[,;\n\r]+")

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "One HS code per line (or separated by commas): a chapter, heading or subheading "
            "of HS 2022 (28, 2805, 2805.30), or a national tariff line of 8 to 10 digits.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(str(code) for code in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [
            normalize_hs_code(part.strip()) for part in self.SEPARATORS.split(text) if part.strip()
        ]

    def validate(self, value):
        # An empty list is a valid answer; the codes themselves are checked by the model.
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


def change_reason_field() -> forms.CharField:
    return forms.CharField(
        required=False,
        max_length=CHANGE_REASON_LENGTH,
        label="Change reason",
        help_text="Why you make this change (kept in the history, shown in its list).",
        widget=forms.TextInput(attrs={"size": 60}),
    )


class ChangeReasonAdminMixin:
    """Every save through the admin asks for a change reason, recorded with the version."""

    reason_fieldset = ("Why", {"fields": ["change_reason"]})

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.pop("form", self.form)
        if "change_reason" not in base.declared_fields:
            base = type(base.__name__, (base,), {"change_reason": change_reason_field()})
        return super().get_form(request, obj, change=change, form=base, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        listed = {name for _, options in fieldsets for name in options.get("fields", ())}
        if "change_reason" not in listed:  # declared fieldsets; Django's default lists it
            fieldsets.append(self.reason_fieldset)
        return fieldsets

    def save_model(self, request, obj, form, change):
        reason = form.cleaned_data.get("change_reason")
        if reason:
            obj._change_reason = reason
        super().save_model(request, obj, form, change)


class OneLineNoteMixin:
    """For an event's form: its note is one line unless it is long or holds a line break."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        note = self.instance.note or ""
        long = len(note) > SHORT_NOTE or "\n" in note
        self.fields["note"].widget = forms.Textarea(attrs={"rows": 3 if long else 1, "cols": 60})
