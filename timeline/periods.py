"""When each measure is in force, stored per listed material, so "measures on these materials
in force on a day" is one index range instead of the status rule evaluated on every measure.

The periods are derived, never edited: ``status.in_force_periods`` computes them from the
measure's dates and suspension events (the status rule, written once), and
``rebuild_in_force_periods`` rewrites a measure's rows. Every write of a measure's dates,
events or materials calls it in the write's own transaction: ``Measure.sync_derived_events``
(``services.save_measure``, ``restore_version``, the admin, the loader's updates) and
``services.create_measures`` (the loader's bulk inserts); the synthetic generator writes
them in bulk. Deleting a measure deletes its rows (cascade). Group membership is not stored
here: material matching expands groups at read time, over the listed materials. How many
measures matching each material are in force on each day is kept from these rows
(``counts``).
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Exists, OuterRef, Q

from .status import SUSPENSION_EVENTS, in_force_periods


class InForcePeriodQuerySet(models.QuerySet):
    def covering(self, day: datetime.date) -> InForcePeriodQuerySet:
        """Periods that include ``day``."""
        return self.filter(Q(ends_before__isnull=True) | Q(ends_before__gt=day), starts_on__lte=day)


class InForcePeriod(models.Model):
    """A measure is in force from ``starts_on`` up to (not including) ``ends_before`` (None:
    no end yet). One row per period and listed material (``material`` None when the measure
    lists none), so that a material's measures in force on a day are one index range."""

    measure = models.ForeignKey(
        "timeline.Measure", on_delete=models.CASCADE, related_name="in_force_periods"
    )
    material = models.ForeignKey(
        "timeline.Material", on_delete=models.CASCADE, null=True, related_name="+"
    )
    starts_on = models.DateField()
    ends_before = models.DateField(null=True)

    objects = InForcePeriodQuerySet.as_manager()

    class Meta:
        ordering = ["measure", "starts_on", "material"]
        indexes = [
            models.Index(
                fields=["material", "starts_on", "ends_before", "measure"],
                name="period_material_start_idx",
            ),
            # With the material, "is this measure in force on D for one of these materials"
            # (a page walked in order, see querysets.in_force_on_listing) is read off the index
            # alone: half the time of a page whose matches are many.
            models.Index(
                fields=["measure", "starts_on", "ends_before", "material"],
                name="period_measure_material_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} in force {self.starts_on} to {self.ends_before or '-'}"


def periods_rows(
    measure_id: int,
    *,
    effective_on: datetime.date | None,
    ends_on: datetime.date | None,
    events: Iterable[tuple[datetime.date, str]],
    material_ids: Iterable[int],
) -> list[InForcePeriod]:
    """The rows of one measure (unsaved), from its dates, recorded events and listed
    materials."""
    materials = sorted(set(material_ids)) or [None]
    return [
        InForcePeriod(measure_id=measure_id, material_id=material, starts_on=start, ends_before=end)
        for start, end in in_force_periods(
            effective_on=effective_on, ends_on=ends_on, events=events
        )
        for material in materials
    ]


def rebuild_in_force_periods(measure_ids: Iterable[int]) -> None:
    """Rewrite the periods of ``measure_ids`` from what is stored now, and move the counts
    kept from them and from the events (``counts``) by the difference, and their periods per
    matched material (``matches``): nine queries whatever their number (read dates, events,
    materials, old periods, what each counted, its events, its matched periods; delete;
    insert), and the writes of those whose periods, events, materials, key or entry into
    force changed. Call once the measures' events are written."""
    from .counts import measures_changed, stored_period_rows
    from .matches import measures_rewritten
    from .models import Measure, MeasureEvent, MeasureMaterial

    ids = list(measure_ids)
    if not ids:
        return
    events: dict[int, list] = defaultdict(list)
    suspensions = (
        MeasureEvent.objects.recorded()
        .filter(measure_id__in=ids, type__in=SUSPENSION_EVENTS)
        .values_list("measure_id", "date", "type")
    )
    for measure_id, date, type_ in suspensions:
        events[measure_id].append((date, type_))
    materials: dict[int, list[int]] = defaultdict(list)
    links = MeasureMaterial.objects.filter(measure_id__in=ids).values_list(
        "measure_id", "material_id"
    )
    for measure_id, material_id in links:
        materials[measure_id].append(material_id)
    rows = []
    ordered: dict[int, tuple] = {}
    for pk, key, effective_on, ends_on in Measure.objects.filter(pk__in=ids).values_list(
        "pk", "key", "effective_on", "ends_on"
    ):
        own = periods_rows(
            pk,
            effective_on=effective_on,
            ends_on=ends_on,
            events=events[pk],
            material_ids=materials[pk],
        )
        rows += own
        periods = {(row.starts_on, row.ends_before) for row in own}  # a row per listed material
        ordered[pk] = (key, effective_on, periods, materials[pk])
    old_rows = stored_period_rows(ids)
    InForcePeriod.objects.filter(measure_id__in=ids).delete()
    InForcePeriod.objects.bulk_create(rows)
    measures_changed(
        old_rows,
        [(row.measure_id, row.material_id, row.starts_on, row.ends_before) for row in rows],
        {pk: materials[pk] for pk in ids},
    )
    measures_rewritten(ordered)


def in_force_on(day: datetime.date) -> Exists:
    """A condition on measures: in force on ``day`` (``status_on`` says in force)."""
    return Exists(InForcePeriod.objects.covering(day).filter(measure=OuterRef("pk")))


def measures_in_force_listing(material_ids: Iterable[int], day: datetime.date):
    """Ids of the measures in force on ``day`` that list any of ``material_ids``, as a
    subquery read off one index range per material."""
    return (
        InForcePeriod.objects.covering(day)
        .filter(material_id__in=list(material_ids))
        .values("measure_id")
    )


# A number here fixes how many matching periods a page is still read by sorting (tests set
# it); None scales it with the number of measures (``sorted_at_most``).
SORTED_AT_MOST: int | None = None


def sorted_at_most() -> int:
    """Up to how many matching periods a page is read by sorting the matches; past it, by
    walking the measures in page order and stopping after the page (``in_force_listing``).

    Sorting reads every match; walking reads about 50 x measures / matches measures before a
    page is full. They cost alike near the square root of ten times the number of measures:
    1,000 at 100,000 measures, where it was measured over varied questions (``bench.cpu``);
    a fixed 1,000 made a page at 1,000,000 measures walk tens of thousands of them. The
    number of measures is estimated by the largest id: one index read."""
    if SORTED_AT_MOST is not None:
        return SORTED_AT_MOST
    from .models import Measure

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Measure._meta.db_table)}")
        (largest,) = cursor.fetchone()
    return max(1000, math.isqrt(10 * (largest or 0)))


def many_in_force(material_ids: Iterable[int], day: datetime.date) -> bool:
    """Whether more than ``sorted_at_most()`` periods of ``material_ids`` include ``day``:
    one index range read no further than that."""
    periods = InForcePeriod.objects.covering(day).filter(material_id__in=list(material_ids))
    limit = sorted_at_most()
    return periods.values("pk")[limit : limit + 1].exists()


def in_force_listing(material_ids: Iterable[int], day: datetime.date) -> Exists:
    """A condition on measures: in force on ``day`` and listing any of ``material_ids``."""
    periods = InForcePeriod.objects.covering(day).filter(material_id__in=list(material_ids))
    return Exists(periods.filter(measure=OuterRef("pk")))
