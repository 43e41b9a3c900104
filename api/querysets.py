"""The querysets the API reads through: each prefetches exactly what its serializer needs."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from timeline.models import Material, Measure, MeasureEvent, MeasureMaterial, MeasureRelation
from timeline.page_rows import EVENT_ROW_FIELDS


def measure_queryset() -> QuerySet[Measure]:
    return (
        Measure.objects.with_status(timezone.localdate())
        .select_related("jurisdiction")
        .prefetch_related(
            "authorities",
            "target_jurisdictions",
            "sectors",
            Prefetch(
                "material_links",
                queryset=MeasureMaterial.objects.select_related("material").order_by(
                    "material__name"
                ),
            ),
            Prefetch(
                "events",
                queryset=MeasureEvent.objects.recorded().order_by("date", "type", "id"),
                to_attr="recorded_events",
            ),
            "sources",
            Prefetch(
                "relations",
                queryset=MeasureRelation.objects.select_related("to_measure").order_by(
                    "relation", "to_measure__key"
                ),
            ),
        )
    )


def material_queryset() -> QuerySet[Material]:
    only_slug = Material.objects.only("id", "slug").order_by("slug")
    return Material.objects.prefetch_related(
        Prefetch("groups", queryset=only_slug), Prefetch("members", queryset=only_slug)
    )


def event_queryset() -> QuerySet[MeasureEvent]:
    return MeasureEvent.objects.select_related("measure").only(*EVENT_ROW_FIELDS)
