"""``?facets=`` on the measures list: counts per value for the list's current filters
(``timeline/facets.py``), each value with its label and the address that applies it."""

from __future__ import annotations

import datetime

from django.utils import timezone

from timeline.facets import FACETS, facet_counts

FACETS_PARAMETER = "facets"
FACETS_HELP = (
    "Add `facets` to the answer: for each dimension named (jurisdiction, measure_type, status, "
    "material, authority, target, sector, year), the values among all the measures the other "
    "parameters match (every page, not only this one), each with its label, its count and the "
    "`url` that applies it. `status` counts the status shown in the list (on `as_of`, else "
    "`in_force_on`, else today); `year` is the year of entry into force; "
    "a measure counts once under each material, authority, target and sector it lists. Not "
    "with an export format. Several dimensions: comma-separated, or the parameter repeated."
)
# The parameter that applies a value, by facet (``year`` applies a range of effective_on).
APPLIES = {facet: facet for facet in FACETS if facet != "year"}


def wanted_facets(request) -> list[str]:
    """The facets asked for (already validated by the filterset), in the order given."""
    names = ",".join(request.query_params.getlist(FACETS_PARAMETER)).split(",")
    return list(dict.fromkeys(name.strip() for name in names if name.strip()))


def applying(request, facet: str, value) -> str | None:
    """The list's address with the facet's value applied (other parameters kept, from page
    one); None for the measures without a value, which no parameter selects."""
    if value is None:
        return None
    query = request.query_params.copy()
    query.pop("page", None)
    if facet == "year":
        query["effective_after"] = f"{value:04}-01-01"
        query["effective_before"] = f"{value:04}-12-31"
    else:
        query[APPLIES[facet]] = str(value)
    return f"{request.build_absolute_uri(request.path)}?{query.urlencode(safe=',')}"


def facets_body(request, measures, day: datetime.date | None = None) -> dict[str, list[dict]]:
    """The facets the request asks for over ``measures``; ``status`` counted on ``day``
    (default today), the day the listed measures' statuses are shown for."""
    counts = facet_counts(measures, wanted_facets(request), day or timezone.localdate())
    return {
        facet: [
            {
                "value": value.value,
                "label": value.label,
                "count": value.count,
                "url": applying(request, facet, value.value),
            }
            for value in values
        ]
        for facet, values in counts.items()
    }


class FacetsMixin:
    """Adds ``facets`` to a list page when asked for, counted over the filtered queryset."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        self.filtered_queryset = queryset
        return queryset

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if wanted_facets(self.request):
            day = getattr(getattr(self, "filterset", None), "status_day", None)
            response.data["facets"] = facets_body(self.request, self.filtered_queryset, day)
        return response


FACET_VALUE_SCHEMA = {
    "type": "object",
    "properties": {
        "value": {
            "oneOf": [{"type": "string"}, {"type": "integer"}],
            "nullable": True,
            "description": "The value as its parameter takes it (a year for `year`); null "
            "for the measures without one (no status yet, no entry into force).",
        },
        "label": {"type": "string", "description": "The value's name, for a person."},
        "count": {"type": "integer", "minimum": 1, "description": "Matching measures."},
        "url": {
            "type": "string",
            "format": "uri",
            "nullable": True,
            "description": "This list with the value applied; null for no value.",
        },
    },
    "required": ["value", "label", "count", "url"],
}


def describe_facets(result, generator, request, public):
    """The measures list's page carries ``facets`` when they are asked for."""
    page = result.get("components", {}).get("schemas", {}).get("PaginatedMeasureList")
    if page is not None:
        page["properties"]["facets"] = {
            "type": "object",
            "description": "Only with `facets=`: per dimension asked for, its values, most "
            "frequent first (`year`: newest first).",
            "properties": {
                facet: {"type": "array", "items": FACET_VALUE_SCHEMA} for facet in FACETS
            },
            "additionalProperties": False,
        }
    return result
