"""Facets: how many of a set of measures have each value of a dimension (issuing
jurisdiction, type, status on a day, material, authority, target, sector, year of entry into
force). Each dimension is one GROUP BY query over the set's ids, whatever the number of
measures or values; a measure with several values of a many-valued dimension (materials,
authorities, targets, sectors) counts once under each."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from .models import Measure, MeasureMaterial, MeasureType
from .search import ids_to_nest
from .status import MeasureStatus

FACETS = ("jurisdiction", "measure_type", "status", "material", "authority", "target", "sector",
          "year")  # fmt: skip
NO_STATUS_LABEL = "Not yet announced"
NO_YEAR_LABEL = "No entry into force"


@dataclass(frozen=True)
class FacetValue:
    value: str | int | None  # None: measures without one (no status yet, no effective_on)
    label: str
    count: int


def _through(field: str):
    return Measure._meta.get_field(field).remote_field.through


def _grouped(rows: QuerySet, value: str, label: str | None = None) -> list[FacetValue]:
    fields = (value, label) if label else (value,)
    counted = rows.values(*fields).annotate(n=Count("*")).order_by("-n", value)
    return [
        FacetValue(row[value], row[label] if label else str(row[value]), row["n"])
        for row in counted
    ]


def facet_counts(
    measures: QuerySet, facets: list[str], day: datetime.date
) -> dict[str, list[FacetValue]]:
    """For each of ``facets`` (names from ``FACETS``), its values among ``measures`` with
    their counts, most frequent first; ``status`` is the status on ``day``."""
    ids = ids_to_nest(measures)
    own = Measure.objects.filter(pk__in=ids).order_by()
    counts: dict[str, list[FacetValue]] = {}
    for facet in facets:
        if facet == "jurisdiction":
            values = _grouped(own, "jurisdiction__code", "jurisdiction__name")
        elif facet == "measure_type":
            labels = dict(MeasureType.choices)
            values = [
                FacetValue(v.value, str(labels.get(v.value, v.value)), v.count)
                for v in _grouped(own, "measure_type")
            ]
        elif facet == "status":
            labels = dict(MeasureStatus.choices)
            values = [
                FacetValue(v.value, str(labels[v.value]) if v.value else NO_STATUS_LABEL, v.count)
                for v in _grouped(own.with_status(day), "status")
            ]
        elif facet == "year":
            values = [
                FacetValue(v.value, str(v.value) if v.value else NO_YEAR_LABEL, v.count)
                for v in _grouped(own.annotate(year=ExtractYear("effective_on")), "year")
            ]
            values.sort(key=lambda v: (v.value is None, -(v.value or 0)))
        elif facet == "material":
            links = MeasureMaterial.objects.filter(measure_id__in=ids)
            values = _grouped(links, "material__slug", "material__name")
        else:
            field, key, label = {
                "authority": ("authorities", "authority__slug", "authority__name"),
                "target": ("target_jurisdictions", "jurisdiction__code", "jurisdiction__name"),
                "sector": ("sectors", "sector__slug", "sector__name"),
            }[facet]
            links = _through(field).objects.filter(measure_id__in=ids)
            values = _grouped(links, key, label)
        counts[facet] = values
    return counts
