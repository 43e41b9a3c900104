"""The feed's query parameters, and the measure filters the feed and the webhooks share: the
measures list's own (``api.filters.MeasureFilterSet``, so the same names, values and errors),
less ``ordering``, which orders rather than filters."""

from __future__ import annotations

from collections.abc import Mapping

import django_filters
from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django_filters import utils
from rest_framework.exceptions import ErrorDetail, ValidationError

from api.filters import ChoiceCSVFilter, MeasureFilterSet
from api.parameters import (
    StrictCSVField,
    WholeNumberField,
    check_query_parameters,
    document,
    list_valued_filters,
    merged_query,
)
from timeline.models import Measure

from .cursor import CURSOR_FORMAT, CURSOR_PATTERN, BadCursor, decode
from .models import Kind

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


class MeasureFilters(MeasureFilterSet):
    """The measures list's filters: which measures, not how a list answers (no ordering,
    facets or answers as known on a past moment)."""


# How the measures list answers, not which measures: no part of the feed's filters.
ANSWER_SHAPING = ("ordering", "facets", "as_known_on")
for _name in ANSWER_SHAPING:
    del MeasureFilters.base_filters[_name]
    del MeasureFilters.declared_filters[_name]  # or a subclass would collect it again
MEASURE_FILTERS = frozenset(MeasureFilters.base_filters)
MEASURE_LIST_FILTERS = frozenset(list_valued_filters(MeasureFilters))


class KeyCSVField(StrictCSVField, forms.CharField):
    pass


class KeyCSVFilter(django_filters.filters.BaseCSVFilter, django_filters.CharFilter):
    base_field_class = KeyCSVField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document(self, {"type": "string", "minLength": 1})


class CursorField(forms.CharField):
    default_error_messages = {
        "invalid": "Not a cursor of this feed: pass a `cursor` or `next_cursor` as it came."
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return decode(value)
        except BadCursor:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class CursorFilter(django_filters.Filter):
    field_class = CursorField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document(self, {"type": "string", "pattern": CURSOR_PATTERN, "format": CURSOR_FORMAT})


class LimitFilter(django_filters.Filter):
    field_class = WholeNumberField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_LIMIT, **kwargs)
        document(
            self,
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        )


class ChangeFilterSet(MeasureFilters):
    """Filters of the feed. They run on measures (the view restricts the changes to the
    measures they keep); ``after``, ``limit``, ``kind`` and ``key`` are read by the view."""

    after = CursorFilter(
        method="filter_noop",
        help_text="A `cursor` (or `next_cursor`) the feed gave: only the changes after it. "
        "Without it, the feed starts at the oldest change kept.",
    )
    limit = LimitFilter(
        method="filter_noop",
        help_text=f"Changes per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}). There is "
        "no limit on how far the feed goes: follow `next_cursor`.",
    )

    kind = ChoiceCSVFilter(
        choices=Kind.choices,
        method="filter_noop",
        help_text="Only changes of these kinds of record. Several values: comma-separated, or "
        "the parameter repeated.",
    )
    key = KeyCSVFilter(
        method="filter_noop",
        help_text="Only changes of the records with these natural keys (a measure's key, a "
        "code, a slug). Several values: comma-separated, or the parameter repeated.",
    )


def measure_filter_query(data: Mapping[str, object]) -> QueryDict:
    """A stored filter (``{name: value or [values]}``) as the query string it stands for."""
    query = QueryDict(mutable=True)
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        query.setlist(name, [str(item) for item in values])
    return query


def validated_measure_filter(data: object) -> dict[str, str]:
    """A subscription's filter checked as the measures list checks its query: unknown names,
    empty values, repeats and bad values are refused (``ValidationError`` naming each).
    Returns it normalised: ``{name: value}``, lists joined by commas."""
    if not isinstance(data, dict) or not all(
        isinstance(value, str)
        or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
        for value in data.values()
    ):
        raise ValidationError(
            "Give the filter as an object of measures-list query parameters, each a string "
            'or a list of strings, e.g. {"material": "gallium", "jurisdiction": ["CN"]}.'
        )
    query = measure_filter_query(data)
    try:
        check_query_parameters(query, MEASURE_FILTERS, MEASURE_LIST_FILTERS)
    except ValidationError as error:
        raise _naming_parameters(error) from None
    merged = merged_query(query, MEASURE_LIST_FILTERS)
    filterset = MeasureFilters(data=merged, queryset=Measure.objects.all())
    if not filterset.is_valid():
        raise _naming_parameters(utils.translate_validation(filterset.errors))
    return {name: merged[name] for name in merged}


def _naming_parameters(error: ValidationError) -> ValidationError:
    """Errors by parameter as one list, each message starting with its parameter's name: the
    field in error is the filter (its parameters are not fields of their own)."""
    return ValidationError(
        [
            ErrorDetail(f"`{name}`: {detail}", code=detail.code)
            for name, details in error.detail.items()
            for detail in details
        ]
    )


def filtered_measures(data: Mapping[str, object]) -> QuerySet[Measure]:
    """The measures a stored (already validated) filter keeps, as it reads today."""
    merged = merged_query(measure_filter_query(data), MEASURE_LIST_FILTERS)
    filterset = MeasureFilters(data=merged, queryset=Measure.objects.all())
    if not filterset.is_valid():  # a slug it names was renamed or deleted since
        return Measure.objects.none()
    return filterset.qs
