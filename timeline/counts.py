"""Counts kept per material, so that the count of a list asked about a material is an index
read instead of reading every match.

**Measures in force.** ``GET /measures/?material=X&in_force_on=D`` counts the distinct measures
in force on D that list X, a group containing X or a member of X
(``Material.objects.related_ids``). Counted off the in-force periods, that reads every match:
about 18 ms of SQL per question at 1,000,000 measures, and more as they grow. Here each
material's number is a running sum:

- ``InForceCountChange``: per material and day, by how much the number changes that day
  (+1 for each matching measure whose period starts then, -1 for each whose period ends).
- ``InForceCountMonth``: per material, for every month that has a change, the number in force
  on the day before the month's first day.

The number on D is the latest such month's, plus the changes from its first day to D: at most
31 rows, whatever the number of measures (``measures_in_force_count``).

**A material's timeline.** ``GET /materials/X/timeline/`` counts the events of the measures
matching X: ``TimelineEventCount`` keeps that number per material, and ``MeasureCounted`` what
each measure adds to it (its number of events and its listed materials), so that a write can
take back what the measure added before (``timeline_event_count``).

Both are derived, never edited, and kept in the write's transaction:

- ``rebuild_in_force_periods``, which every write of a measure's dates, events or materials
  calls, applies the difference between each measure's old and new contribution (none for a
  save that moves no date, event or material);
- deleting a measure takes its contribution back (``pre_delete``);
- a change of group membership, or deleting a material, recounts the materials whose related
  set it changes (``m2m_changed``, ``pre_delete``/``post_delete``), and rewrites what differs
  of their rows stored per matched material (``matches``);
- the synthetic generator, and the migration that added these tables, recount everything
  (``rebuild_counts``).

**Events in a date range.** ``GET /events/?date_after=A&date_before=B`` counts the events
dated from A to B: about 7,000 index entries for a half-year window at 100,000 measures, and
ten times that at 1,000,000. ``EventCountDay`` keeps the number per day, so the count reads one
row per day of the window (``events_in_range_count``); ``MeasureCounted.event_days`` keeps the
dates each measure adds, to take them back when it changes.

A check after every test of the suite holds them equal to a recount (``counts_differing``).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import connection, models
from django.db.models import Count
from django.db.models.signals import m2m_changed, post_delete, pre_delete

from .matches import (
    forget_materials,
    forget_measure,
    matches_differing,
    materials_regrouped,
)
from .querysets import GroupGraph
from .versioning import bump_version

Period = tuple[datetime.date, datetime.date | None]  # starts_on, ends_before (None: no end)
BATCH = 500


class InForceCountChange(models.Model):
    """By how much the number of measures matching ``material`` in force changes on ``day``."""

    material = models.ForeignKey(
        "timeline.Material", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    day = models.DateField()
    change = models.IntegerField(help_text="Measures entering force that day less those leaving.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["material", "day"], name="count_change_material_day")
        ]

    def __str__(self) -> str:
        return f"material {self.material_id} {self.day}: {self.change:+d}"


class InForceCountMonth(models.Model):
    """The number of measures matching ``material`` in force on the day before ``month``."""

    material = models.ForeignKey(
        "timeline.Material", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField(help_text="The first day of a month with a change.")
    in_force_before = models.IntegerField(
        help_text="Measures matching the material in force on the day before ``month``."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["material", "month"], name="count_month_material_month")
        ]

    def __str__(self) -> str:
        return f"material {self.material_id} before {self.month}: {self.in_force_before}"


class TimelineEventCount(models.Model):
    """The number of events on ``material``'s timeline: the events of the measures matching it."""

    material = models.OneToOneField(
        "timeline.Material",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    events = models.IntegerField()

    def __str__(self) -> str:
        return f"material {self.material_id}: {self.events} events"


class EventCountDay(models.Model):
    """The number of events, recorded and derived, dated ``day`` (no row: none)."""

    day = models.DateField(primary_key=True)
    events = models.IntegerField()

    class Meta:
        # The count of a range reads the index alone.
        indexes = [models.Index(fields=["day", "events"], name="event_count_day_idx")]

    def __str__(self) -> str:
        return f"{self.day}: {self.events} events"


class MeasureCounted(models.Model):
    """What ``measure`` adds to the kept timeline and event counts, as last counted: taken
    back when it changes."""

    measure = models.OneToOneField(
        "timeline.Measure", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    events = models.IntegerField(help_text="Its events, recorded and derived.")
    materials = models.JSONField(help_text="The ids of the materials it lists, ascending.")
    event_days = models.JSONField(
        default=list,
        help_text="Its events' dates, ISO, ascending, repeated when several fall on one day.",
    )

    def __str__(self) -> str:
        return f"measure {self.measure_id}: {self.events} events on {self.materials}"


# What a measure adds to the counts: its number of events, its listed materials (ids,
# ascending) and its events' dates (ISO, ascending).
Counted = tuple[int, tuple[int, ...], tuple[str, ...]]
NOTHING: Counted = (0, (), ())


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def measures_in_force_count(material_id: int, day: datetime.date) -> int:
    """The number of distinct measures matching the material ``material_id`` (its related set:
    groups upwards, members downwards) in force on ``day``: one index read for the month, one
    range of at most 31 changes."""
    months, changes = _table(InForceCountMonth), _table(InForceCountChange)
    sql = (
        f"SELECT m.in_force_before + COALESCE((SELECT SUM(c.change) FROM {changes} c "
        "WHERE c.material_id = m.material_id AND c.day >= m.month AND c.day <= %s), 0) "
        f"FROM {months} m WHERE m.material_id = %s AND m.month <= %s "
        "ORDER BY m.month DESC LIMIT 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [day, material_id, day])
        row = cursor.fetchone()
    return row[0] if row else 0


def timeline_event_count(material_id: int) -> int:
    """The number of events, recorded and derived, of the measures matching the material
    ``material_id`` (groups upwards, members downwards): one index read."""
    kept = TimelineEventCount.objects.filter(material_id=material_id).values_list("events")
    return next(iter(kept), (0,))[0]


def events_in_range_count(after: datetime.date | None, before: datetime.date | None) -> int:
    """The number of events, recorded and derived, dated from ``after`` to ``before`` (both
    included; None: open): one index range of at most a row per day."""
    conditions, params = ["1 = 1"], []
    for bound, operator in ((after, ">="), (before, "<=")):
        if bound is not None:
            conditions.append(f"day {operator} %s")
            params.append(connection.ops.adapt_datefield_value(bound))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE(SUM(events), 0) FROM {_table(EventCountDay)} "
            f"WHERE {' AND '.join(conditions)}",
            params,
        )
        return cursor.fetchone()[0]


def _graph() -> GroupGraph:
    from .models import Material

    return Material.objects.group_graph()


def _contributions(rows: Iterable[tuple]) -> dict[int, tuple[set[int], set[Period]]]:
    """Each measure's listed materials and periods, from its ``(measure_id, material_id,
    starts_on, ends_before)`` period rows."""
    found: dict[int, tuple[set[int], set[Period]]] = defaultdict(lambda: (set(), set()))
    for measure_id, material_id, starts_on, ends_before in rows:
        listed, periods = found[measure_id]
        if material_id is not None:
            listed.add(material_id)
        periods.add((starts_on, ends_before))
    return found


def stored_period_rows(measure_ids: Iterable[int]) -> list[tuple]:
    """The stored period rows of ``measure_ids``, as ``_contributions`` reads them."""
    from .periods import InForcePeriod

    ids = list(measure_ids)
    return [
        row
        for start in range(0, len(ids), BATCH)
        for row in InForcePeriod.objects.filter(measure_id__in=ids[start : start + BATCH])
        .values_list("measure_id", "material_id", "starts_on", "ends_before")
        .iterator()
    ]


# Past this many measures moved by one write (a load), the materials they match are recounted
# whole: moving a measure rewrites up to a few hundred month rows per material it matches.
RECOUNT_PAST_MEASURES = 200


def measures_changed(
    old_period_rows: Iterable[tuple],
    new_period_rows: Iterable[tuple],
    listed: dict[int, Iterable[int]],
    *,
    stored_now: bool = True,
) -> None:
    """Move the counts by what a write changed: the period rows of some measures before and
    after (``(measure_id, material_id, starts_on, ends_before)``), and ``listed``, each such
    measure's listed materials now (its events already written). Each measure takes back
    what it added (its old periods; ``MeasureCounted`` for its events) and adds what it adds
    now. A measure whose periods, events and materials are unchanged writes nothing.
    ``stored_now``: the tables hold the state after the write, so many measures may be
    recounted from them instead; False for a delete, before it happens: the measures then add
    nothing."""
    from .models import MeasureEvent

    old, new = _contributions(old_period_rows), _contributions(new_period_rows)
    moved = [pk for pk in old.keys() | new.keys() if old.get(pk) != new.get(pk)]
    ids = list(listed)
    before: dict[int, Counted] = {
        pk: (events, tuple(materials), tuple(days))
        for pk, events, materials, days in MeasureCounted.objects.filter(
            measure_id__in=ids
        ).values_list("measure_id", "events", "materials", "event_days")
    }
    dated: dict[int, list[str]] = defaultdict(list)
    if stored_now:
        for pk, day in MeasureEvent.objects.filter(measure_id__in=ids).values_list(
            "measure_id", "date"
        ):
            dated[pk].append(day.isoformat())
    after: dict[int, Counted] = {
        pk: (len(dated[pk]), tuple(sorted(set(listed[pk]))), tuple(sorted(dated[pk]))) for pk in ids
    }
    recounted = [pk for pk in ids if before.get(pk, NOTHING) != after[pk]]
    if not moved and not recounted:
        return
    days: Counter = Counter()
    for pk in recounted:
        days.update(after[pk][2])
        days.subtract(before.get(pk, NOTHING)[2])
    _add_event_days({day: delta for day, delta in days.items() if delta})
    graph = _graph()
    if stored_now and len(set(moved) | set(recounted)) > RECOUNT_PAST_MEASURES:
        # Every measure of the write is in ``listed``, and lists what it counts for.
        materials = {
            material
            for pk in set(moved) | set(recounted)
            for material in before.get(pk, NOTHING)[1] + after[pk][1]
        }
        _save_counted({pk: after[pk] for pk in recounted})
        # Their matched periods are rewritten measure by measure (``matches``), not here.
        rebuild_counts(sorted(graph.related(materials)))
        return
    related: dict[frozenset[int], set[int]] = {}

    def matched(contribution) -> set[tuple[int, datetime.date, datetime.date | None]]:
        if contribution is None:
            return set()
        materials, periods = contribution
        key = frozenset(materials)
        if key not in related:
            related[key] = graph.related(materials)
        return {(material, start, end) for material in related[key] for start, end in periods}

    deltas: Counter = Counter()
    for pk in moved:
        was, now = matched(old.get(pk)), matched(new.get(pk))
        deltas.update(now - was)
        deltas.subtract(was - now)
    _apply({key: delta for key, delta in deltas.items() if delta})
    events: Counter = Counter()
    for pk in recounted:
        for sign, (count, materials, _) in ((-1, before.get(pk, NOTHING)), (1, after[pk])):
            for material in graph.related(materials):
                events[material] += sign * count
    _add_events({material: delta for material, delta in events.items() if delta})
    _save_counted({pk: after[pk] for pk in recounted})


def _save_counted(counted: dict[int, Counted]) -> None:
    MeasureCounted.objects.bulk_create(
        [
            MeasureCounted(
                measure_id=pk, events=events, materials=list(materials), event_days=list(days)
            )
            for pk, (events, materials, days) in counted.items()
        ],
        update_conflicts=True,
        unique_fields=["measure"],
        update_fields=["events", "materials", "event_days"],
        batch_size=BATCH,
    )


def _add_event_days(deltas: dict[str, int]) -> None:
    """Add ``delta`` events to each day's count (days as ISO text); a day left with none loses
    its row."""
    items = sorted(deltas.items())
    table = _table(EventCountDay)
    with connection.cursor() as cursor:
        for first in range(0, len(items), BATCH):
            batch = [
                (connection.ops.adapt_datefield_value(datetime.date.fromisoformat(day)), delta)
                for day, delta in items[first : first + BATCH]
            ]
            cursor.execute(
                f"INSERT INTO {table} (day, events) VALUES "
                + ", ".join(["(%s, %s)"] * len(batch))
                + f" ON CONFLICT (day) DO UPDATE SET events = {table}.events + excluded.events",
                [value for row in batch for value in row],
            )
            cursor.execute(
                f"DELETE FROM {table} WHERE events = 0 AND day IN "
                f"({', '.join(['%s'] * len(batch))})",
                [day for day, _ in batch],
            )


def _add_events(deltas: dict[int, int]) -> None:
    """Add ``delta`` events to each material's timeline count."""
    items = sorted(deltas.items())
    table = _table(TimelineEventCount)
    with connection.cursor() as cursor:
        for first in range(0, len(items), BATCH):
            batch = items[first : first + BATCH]
            cursor.execute(
                f"INSERT INTO {table} (material_id, events) VALUES "
                + ", ".join(["(%s, %s)"] * len(batch))
                + f" ON CONFLICT (material_id) DO UPDATE SET events = {table}.events "
                "+ excluded.events",
                [value for row in batch for value in row],
            )


def _apply(deltas: dict[tuple[int, datetime.date, datetime.date | None], int]) -> None:
    """Add ``delta`` measures in force over ``[start, end)`` to each material's count."""
    if not deltas:
        return
    months, changes = _table(InForceCountMonth), _table(InForceCountChange)
    day_changes: Counter = Counter()
    for (material, start, end), delta in deltas.items():
        day_changes[(material, start)] += delta
        if end is not None:
            day_changes[(material, end)] -= delta
    # A kept month moves by the changes on the days before it. Netted per material into
    # steps (after day, through day, by), a measure whose entry into force moves by a month
    # moves one month's rows, not every month after it.
    per_material: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for (material, day), delta in sorted(day_changes.items()):
        if delta:
            per_material[material].append((day, delta))
    by_steps: dict[tuple, list[int]] = defaultdict(list)
    for material, days in per_material.items():
        running = list(itertools.accumulate(delta for _, delta in days))
        steps = tuple(
            (day, days[index + 1][0] if index + 1 < len(days) else None, by)
            for index, ((day, _), by) in enumerate(zip(days, running, strict=True))
            if by
        )
        by_steps[steps].append(material)
    with connection.cursor() as cursor:
        # Before the changes are written, so that the months added below (computed from
        # them) are not moved twice.
        for steps, materials in by_steps.items():
            placeholders = ", ".join(["%s"] * len(materials))
            for after, through, by in steps:
                cursor.execute(
                    f"UPDATE {months} SET in_force_before = in_force_before + %s "
                    f"WHERE material_id IN ({placeholders}) AND month > %s"
                    + ("" if through is None else " AND month <= %s"),
                    [by, *materials, after, *([] if through is None else [through])],
                )
        items = [(material, day, delta) for (material, day), delta in day_changes.items() if delta]
        for first in range(0, len(items), BATCH):
            batch = items[first : first + BATCH]
            cursor.execute(
                f"INSERT INTO {changes} (material_id, day, change) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(batch))
                + f" ON CONFLICT (material_id, day) DO UPDATE SET change = {changes}.change "
                "+ excluded.change",
                [value for row in batch for value in row],
            )
        cursor.executemany(
            f"DELETE FROM {changes} WHERE material_id = %s AND day = %s AND change = 0",
            [(material, day) for material, day, _ in items],
        )
    _add_missing_months({(material, _month(day)) for material, day in day_changes})


def _add_missing_months(wanted: set[tuple[int, datetime.date]]) -> None:
    """Keep the number before each of ``wanted`` (material, month) not kept yet: the kept
    month before it plus that month's changes (no month between has any, or it would be
    kept), months in order so that one added serves the next. Both are current here."""
    months, changes = _table(InForceCountMonth), _table(InForceCountChange)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {months} (material_id, month, in_force_before) "
            "SELECT %s, %s, COALESCE((SELECT p.in_force_before + COALESCE((SELECT SUM(c.change) "
            f"FROM {changes} c WHERE c.material_id = p.material_id AND c.day >= p.month "
            f"AND c.day < %s), 0) FROM {months} p WHERE p.material_id = %s AND p.month < %s "
            "ORDER BY p.month DESC LIMIT 1), 0) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {months} WHERE material_id = %s AND month = %s)",
            [
                (material, month, month, material, month, material, month)
                for month, material in sorted((month, material) for material, month in wanted)
            ],
        )


def _by_measure(rows: Iterable[tuple]) -> Iterable[tuple[int, list[tuple]]]:
    """``rows`` ordered by their first value (a measure id), grouped by it."""
    for pk, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield pk, list(group)


def _series(material_ids: Iterable[int], graph: GroupGraph) -> dict[int, dict[datetime.date, int]]:
    """Each material's changes per day (none left out), computed from the stored periods in
    one pass over those of the measures that match any of them."""
    from .periods import InForcePeriod

    wanted = set(material_ids)
    series: dict[int, Counter] = {material: Counter() for material in wanted}
    rows = (
        InForcePeriod.objects.filter(material_id__in=graph.related(wanted))
        .order_by("measure_id")
        .values_list("measure_id", "material_id", "starts_on", "ends_before")
    )
    matched: dict[frozenset[int], set[int]] = {}
    for _, periods in _by_measure(rows.iterator(chunk_size=10_000)):
        listed = frozenset(row[1] for row in periods)
        if listed not in matched:
            matched[listed] = graph.related(listed) & wanted
        for start, end in {(row[2], row[3]) for row in periods}:
            for material in matched[listed]:
                series[material][start] += 1
                if end is not None:
                    series[material][end] -= 1
    return {
        material: {day: change for day, change in changes.items() if change}
        for material, changes in series.items()
    }


def _timeline_events(material_ids: Iterable[int], graph: GroupGraph) -> dict[int, int]:
    """Each material's timeline count, from the events and links of the measures that match
    any of them: one pass."""
    from .models import MeasureMaterial

    wanted = set(material_ids)
    events = {
        pk: counted[0]
        for pk, counted in _measures_counted(graph.related(wanted), with_days=False).items()
    }
    found = dict.fromkeys(wanted, 0)
    rows = (
        MeasureMaterial.objects.filter(material_id__in=graph.related(wanted))
        .order_by("measure_id")
        .values_list("measure_id", "material_id")
    )
    for pk, links in _by_measure(rows.iterator(chunk_size=10_000)):
        for material in graph.related(row[1] for row in links) & wanted:
            found[material] += events[pk]
    return found


def _rows(material: int, series: dict[datetime.date, int]) -> tuple[list[tuple], list[tuple]]:
    """The ``(material_id, day, change)`` and ``(material_id, month, in_force_before)`` rows
    of one material's ``series``, in day order."""
    changes, months = [], []
    in_force = 0
    month = None
    for day in sorted(series):
        if _month(day) != month:
            month = _month(day)
            months.append((material, month, in_force))
        changes.append((material, day, series[day]))
        in_force += series[day]
    return changes, months


def _measures_counted(
    material_ids: Iterable[int] | None = None, *, with_days: bool = True
) -> dict[int, Counted]:
    """What each measure adds to the counts now, from its events and links: every measure
    with either, or those listing one of ``material_ids`` (``with_days`` False: its events'
    dates left empty, their number counted in SQL)."""
    from .models import MeasureEvent, MeasureMaterial

    links = MeasureMaterial.objects.all()
    events = MeasureEvent.objects.all()
    if material_ids is not None:
        measures = links.filter(material_id__in=list(material_ids)).values("measure_id")
        links, events = (
            links.filter(measure_id__in=measures),
            events.filter(measure_id__in=measures),
        )
    listed: dict[int, set[int]] = defaultdict(set)
    for measure_id, material_id in links.values_list("measure_id", "material_id").iterator(
        chunk_size=10_000
    ):
        listed[measure_id].add(material_id)
    if not with_days:
        counted = dict(
            events.order_by()
            .values("measure_id")
            .annotate(n=Count("pk"))
            .values_list("measure_id", "n")
        )
        return {
            pk: (counted.get(pk, 0), tuple(sorted(listed[pk])), ())
            for pk in counted.keys() | listed.keys()
        }
    dated: dict[int, list[str]] = defaultdict(list)
    for measure_id, day in events.values_list("measure_id", "date").iterator(chunk_size=10_000):
        dated[measure_id].append(day.isoformat())
    return {
        pk: (len(dated[pk]), tuple(sorted(listed[pk])), tuple(sorted(dated[pk])))
        for pk in dated.keys() | listed.keys()
    }


def _forget_materials(material_ids: list[int]) -> None:
    """Delete the kept counts of ``material_ids``, in SQL: a queryset's delete() would send a
    signal per row (the timeline version's receiver listens to every model)."""
    with connection.cursor() as cursor:
        for first in range(0, len(material_ids), BATCH):
            batch = material_ids[first : first + BATCH]
            for model in (InForceCountChange, InForceCountMonth, TimelineEventCount):
                cursor.execute(
                    f"DELETE FROM {_table(model)} WHERE material_id IN "
                    f"({', '.join(['%s'] * len(batch))})",
                    batch,
                )


def rebuild_measure_contributions() -> None:
    """Recount what every measure adds (``MeasureCounted``) and the events per day
    (``EventCountDay``), which no material changes."""
    from .models import MeasureEvent

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(MeasureCounted)}")
        cursor.execute(f"DELETE FROM {_table(EventCountDay)}")
        cursor.execute(
            f"INSERT INTO {_table(EventCountDay)} (day, events) SELECT date, COUNT(*) "
            f"FROM {_table(MeasureEvent)} GROUP BY date"
        )
    MeasureCounted.objects.bulk_create(
        (
            MeasureCounted(
                measure_id=pk, events=events, materials=list(materials), event_days=list(days)
            )
            for pk, (events, materials, days) in _measures_counted().items()
        ),
        batch_size=BATCH,
    )


def rebuild_counts(material_ids: Iterable[int] | None = None) -> None:
    """Recount the materials ``material_ids`` from the stored periods, events and group links;
    None: every material, and what every measure adds (``MeasureCounted``). The rows stored
    per matched material (``matches``) are rewritten by ``matches.rebuild_materials``."""
    from .models import Material

    ids = list(
        Material.objects.values_list("pk", flat=True) if material_ids is None else material_ids
    )
    if material_ids is None:
        rebuild_measure_contributions()
    if not ids:
        return
    graph = _graph()
    _forget_materials(ids)
    with connection.cursor() as cursor:  # millions of rows at scale: no model instances
        for material, series in _series(ids, graph).items():
            changes, months = _rows(material, series)
            cursor.executemany(
                f"INSERT INTO {_table(InForceCountChange)} (material_id, day, change) "
                "VALUES (%s, %s, %s)",
                changes,
            )
            cursor.executemany(
                f"INSERT INTO {_table(InForceCountMonth)} (material_id, month, in_force_before) "
                "VALUES (%s, %s, %s)",
                months,
            )
    TimelineEventCount.objects.bulk_create(
        (
            TimelineEventCount(material_id=material, events=events)
            for material, events in _timeline_events(ids, graph).items()
            if events
        ),
        batch_size=BATCH,
    )


def counts_differing() -> list[str]:
    """What differs from a recount, by material id or measure id (empty when all is
    current)."""
    from .models import Material

    ids = list(Material.objects.values_list("pk", flat=True))
    graph = _graph()
    expected = _series(ids, graph)
    kept: dict[int, dict] = defaultdict(dict)
    for material, day, change in InForceCountChange.objects.values_list(
        "material_id", "day", "change"
    ):
        kept[material][day] = change
    months: dict[int, list] = defaultdict(list)
    for material, month, before in InForceCountMonth.objects.values_list(
        "material_id", "month", "in_force_before"
    ):
        months[material].append((month, before))
    timelines = dict(TimelineEventCount.objects.values_list("material_id", "events"))
    differing = matches_differing()
    for material, events in _timeline_events(ids, graph).items():
        if timelines.get(material, 0) != events:
            differing.append(f"timeline of material {material}")
    for material in ids:
        series = expected[material]
        days = sorted(series)
        running = list(itertools.accumulate(series[day] for day in days))
        in_force = {  # the running sum of the changes before each kept month
            month: running[index - 1] if index else 0
            for month, _ in months[material]
            for index in [bisect.bisect_left(days, month)]
        }
        needed = {_month(day) for day in series}
        if (
            kept[material] != series
            or any(before != in_force[month] for month, before in months[material])
            or not needed <= set(in_force)
        ):
            differing.append(f"in force, material {material}")
    counted = {
        pk: (events, tuple(materials), tuple(days))
        for pk, events, materials, days in MeasureCounted.objects.values_list(
            "measure_id", "events", "materials", "event_days"
        )
    }
    for pk, now in _measures_counted().items():
        if counted.get(pk, NOTHING) != now:
            differing.append(f"measure {pk}")
    from .models import MeasureEvent

    per_day = dict(
        MeasureEvent.objects.order_by()
        .values("date")
        .annotate(n=Count("pk"))
        .values_list("date", "n")
    )
    kept_days = dict(EventCountDay.objects.values_list("day", "events"))
    differing += [
        f"events on {day}"
        for day in kept_days.keys() | per_day.keys()
        if kept_days.get(day) != per_day.get(day)
    ]
    return differing


def _forget_deleted_measure(sender, instance, **kwargs) -> None:
    """Take back what the measure adds to the counts, before its periods and events go. The
    timeline version's row is locked first, as every other write locks it before the counts
    (on PostgreSQL, the other order could deadlock with a concurrent save)."""
    bump_version()
    measures_changed(stored_period_rows([instance.pk]), [], {instance.pk: []}, stored_now=False)
    forget_measure(instance.pk)


def _materials_around(material_ids: Iterable[int]) -> set[int]:
    return _graph().related(material_ids)


def _regrouped_materials(members: Iterable[int], groups: Iterable[int]) -> set[int]:
    """The materials whose related set a link from ``members`` to ``groups`` is part of: the
    members and their members, the groups and theirs (siblings are not)."""
    graph = _graph()
    return graph.members_of(members) | graph.groups_of(groups)


def _regrouped(sender, instance, action, pk_set, reverse, **kwargs) -> None:
    """Group links changed: the materials whose related set gained or lost a material, found
    before and after the change, are recounted."""
    if action not in {
        "pre_add",
        "pre_remove",
        "pre_clear",
        "post_add",
        "post_remove",
        "post_clear",
    }:
        return
    if action == "pre_clear":
        links = instance.members if reverse else instance.groups
        instance._counts_cleared = set(links.values_list("pk", flat=True))
    others = set(pk_set or ()) | (instance._counts_cleared if action.endswith("_clear") else set())
    members, groups = (others, {instance.pk}) if reverse else ({instance.pk}, others)
    if action.startswith("pre_"):
        instance._counts_around = _regrouped_materials(members, groups)
        return
    around = getattr(instance, "_counts_around", set()) | _regrouped_materials(members, groups)
    rebuild_counts(sorted(around))
    materials_regrouped(around)


def _material_deleting(sender, instance, **kwargs) -> None:
    """Note the materials whose related set loses this one, and delete its own counts here
    rather than row by row in the cascade."""
    instance._counts_around = _materials_around([instance.pk]) - {instance.pk}
    bump_version()  # its row first, as in _forget_deleted_measure
    _forget_materials([instance.pk])
    forget_materials([instance.pk])


def _material_deleted(sender, instance, **kwargs) -> None:
    around = getattr(instance, "_counts_around", set())
    rebuild_counts(sorted(around))
    materials_regrouped(around)


def connect_signals() -> None:
    from .models import Material, Measure

    pre_delete.connect(_forget_deleted_measure, sender=Measure, dispatch_uid="counts-measure")
    m2m_changed.connect(_regrouped, sender=Material.groups.through, dispatch_uid="counts-groups")
    pre_delete.connect(_material_deleting, sender=Material, dispatch_uid="counts-material-pre")
    post_delete.connect(_material_deleted, sender=Material, dispatch_uid="counts-material-post")
