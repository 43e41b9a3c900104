"""The ``hs`` query parameter: HS codes, matched across levels (``timeline/hs_matching.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import django_filters
from django import forms

from timeline.hs_matching import material_ids_coded
from timeline.models import HSCode, normalize_hs_code

from .parameters import StrictCSVField, document

HS_ITEM_SCHEMA = {
    "type": "string",
    "format": "hs-code",
    "pattern": r"^\s*[0-9][0-9. ]*\s*$",
    "minLength": 1,
    "maxLength": 20,
}
HS_HELP = (
    "HS codes (HS 2022 chapter, heading or subheading, or a national tariff line of 8 to 10 "
    "digits; dots and spaces ignored, e.g. 2805.30): what concerns materials coded with the "
    "code, one of its parents or one of its children (hs=2805 finds a material coded 280530, "
    "hs=28053010 one coded 2805). Several codes: comma-separated, or the parameter repeated. "
    "A code the nomenclature does not list is refused."
)


@dataclass(frozen=True)
class CodedMaterials:
    """The codes asked for and the materials they concern (never an empty value, which
    django-filter would take for no filter at all)."""

    codes: tuple[str, ...]
    material_ids: tuple[int, ...]


class HSCodeCSVField(StrictCSVField, forms.CharField):
    """Several HS codes, normalised (digits only); any the nomenclature does not list is a
    400 naming it. Cleans to the materials they concern."""

    default_error_messages = {"invalid": "Not an HS code of the nomenclature."}

    def clean_items(self, items: list[str]) -> CodedMaterials:
        codes = tuple(dict.fromkeys(normalize_hs_code(item) for item in items))
        problems = HSCode.objects.problems(list(codes))
        if problems:
            raise forms.ValidationError(" ".join(problems), code="invalid")
        return CodedMaterials(codes, tuple(material_ids_coded(codes)))


class HSCodeFilter(django_filters.filters.BaseCSVFilter, django_filters.CharFilter):
    """``?hs=2805,8112.92``: the filterset's ``method`` gets the ``CodedMaterials`` (one
    indexed query finds them, whatever the number of codes)."""

    base_field_class = HSCodeCSVField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", HS_HELP)
        super().__init__(*args, **kwargs)
        document(self, HS_ITEM_SCHEMA)
