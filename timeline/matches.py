"""Each measure's in-force periods, and its events, stored once per material it matches, in the
order the lists show them, so that a page of ``GET /measures/?material=X&in_force_on=D`` or of
``GET /materials/X/timeline/`` is read off one index range and stops after its last row.

A measure matches a material when it lists it, a group containing it or a member of it,
transitively (``Material.objects.related_ids``; the relation is symmetric, so the materials a
measure matches are ``related_ids`` of those it lists). The in-force periods
(``periods.InForcePeriod``) are stored per *listed* material: a page asked about one material
then walks the measures in page order and probes each one's periods, or sorts every match,
milliseconds of SQL per question either way. ``MatchedInForcePeriod`` holds the same periods
per *matched* material, with the two values the list is ordered by (``-effective_on, key``),
and its index holds them in that order: the page is the first rows of one index range whose
period covers the day. ``MatchedEvent`` does the same for a material's timeline (every event of
the measures matching it, by date): its page was a walk of the event feed probing each
event's measure, or a sort of every matching event (5 ms of SQL per question at 100,000
measures).

Derived, never edited, and kept in the write's transaction by the same paths as the counts
(``counts``):

- ``rebuild_in_force_periods``, which every write of a measure's dates, events or materials
  calls once its events are written, rewrites the rows of the measures it rebuilds whose
  periods, events, matched materials, key or entry into force changed
  (``measures_rewritten``);
- deleting a measure deletes its rows (``forget_measure``);
- regrouping materials, or deleting one, rewrites the rows of the materials whose related set
  changed, only those that differ (``materials_regrouped``, called with the counts' recount);
- the migrations that added the tables, the synthetic generator and ``manage.py
  rebuild_counts`` write them all (``rebuild_materials``).

A check after every test of the suite holds it equal to a rebuild (``matches_differing``).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
from collections import Counter
from collections.abc import Iterable

from django.db import connection, models

from .querysets import GroupGraph
from .representation.store import day_from_sql

BATCH = 500
# (material_id, measure_id, effective_on, key, starts_on, ends_before)
PeriodRow = tuple[int, int, datetime.date, str, datetime.date, datetime.date | None]
# (material_id, measure_id, event_id, date, type)
EventRow = tuple[int, int, int, datetime.date, str]


def _derived_link(to: str, **options) -> models.ForeignKey:
    """A link from a derived row: no constraint, and nothing done on delete (the write paths
    delete the rows in SQL, not one signal per row through the cascade)."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        **{"related_name": "+", **options},
    )


class MatchedInForcePeriodQuerySet(models.QuerySet):
    def in_page_order(self, material_id: int, day: datetime.date) -> models.QuerySet:
        """Ids of the measures matching the material ``material_id`` in force on ``day``, in the
        measures list's default order (newest entry into force first, then key): one index
        range, read up to the page asked for. Each measure appears once (its periods do not
        overlap)."""
        return (
            self.filter(material_id=material_id, effective_on__lte=day, starts_on__lte=day)
            .filter(models.Q(ends_before__isnull=True) | models.Q(ends_before__gt=day))
            .order_by("-effective_on", "key")
            .values_list("measure_id", flat=True)
        )


class MatchedInForcePeriod(models.Model):
    """``measure`` is in force from ``starts_on`` up to (not including) ``ends_before`` (None:
    no end yet) and matches ``material``; ``effective_on`` and ``key`` are the measure's, for
    the list's order."""

    material = _derived_link("timeline.Material", db_index=False)  # the page index leads
    measure = _derived_link("timeline.Measure")
    effective_on = models.DateField(help_text="The measure's entry into force.")
    key = models.SlugField(max_length=100, db_index=False, help_text="The measure's key.")
    starts_on = models.DateField()
    ends_before = models.DateField(null=True)

    objects = MatchedInForcePeriodQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["material", "-effective_on", "key", "starts_on", "ends_before", "measure"],
                name="matched_period_page_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.key} matching material {self.material_id}: in force {self.starts_on} to "
            f"{self.ends_before or '-'}"
        )


class MatchedEvent(models.Model):
    """``event``, of ``measure``, which matches ``material``; ``date`` and ``type`` are the
    event's, for the timeline's order (date, type, id)."""

    material = _derived_link("timeline.Material", db_index=False)  # the page index leads
    event = _derived_link("timeline.MeasureEvent", db_index=False, related_name="matches")
    measure = _derived_link("timeline.Measure")
    date = models.DateField()
    type = models.CharField(max_length=20)

    class Meta:
        indexes = [
            models.Index(
                fields=["material", "date", "type", "event", "measure"],
                name="matched_event_page_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} matching material {self.material_id}"


def events_in_timeline_order(events: models.QuerySet, material_id: int) -> models.QuerySet:
    """``events`` (a MeasureEvent queryset) of the measures matching the material
    ``material_id``, in the timeline's order (date, type, id): one index range of
    ``MatchedEvent``, read up to the page."""
    return events.filter(matches__material_id=material_id).order_by(
        "matches__date", "matches__type", "matches__event_id"
    )


def _table(model=MatchedInForcePeriod) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _quoted(name: str) -> str:
    return connection.ops.quote_name(name)


def _key() -> str:
    return _quoted("key")


def _columns(model) -> str:
    if model is MatchedInForcePeriod:
        return f"material_id, measure_id, effective_on, {_key()}, starts_on, ends_before"
    return f"material_id, measure_id, event_id, {_quoted('date')}, {_quoted('type')}"


def _graph() -> GroupGraph:
    from .models import Material

    return Material.objects.group_graph()


def _period_rows(
    measure_id: int,
    key: str,
    effective_on: datetime.date | None,
    periods: Iterable[tuple[datetime.date, datetime.date | None]],
    matched: Iterable[int | None],
) -> list[PeriodRow]:
    if effective_on is None:  # never in force: it has no periods
        return []
    return [
        (material, measure_id, effective_on, key, starts_on, ends_before)
        for material in matched
        if material is not None
        for starts_on, ends_before in periods
    ]


def _event_rows(
    measure_id: int, events: Iterable[tuple[int, datetime.date, str]], matched: Iterable[int]
) -> list[EventRow]:
    return [
        (material, measure_id, event_id, date, type_)
        for material in matched
        if material is not None
        for event_id, date, type_ in events
    ]


def _normalized(model, row: tuple) -> tuple:
    """A row of ``model``'s table as read in SQL (``_columns``), with dates as dates."""
    if model is MatchedInForcePeriod:
        material, measure, effective_on, key, starts_on, ends_before = row
        starts_on, ends_before = day_from_sql(starts_on), day_from_sql(ends_before)
        return (material, measure, day_from_sql(effective_on), key, starts_on, ends_before)
    material, measure, event, date, type_ = row
    return (material, measure, event, day_from_sql(date), type_)


def _stored(model, where: str, params: list) -> set[tuple]:
    """Rows of ``model``'s table, as tuples of ``_columns`` (dates as dates)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_columns(model)} FROM {_table(model)} WHERE {where}", params)
        return {_normalized(model, row) for row in cursor}


def _batches(items: Iterable) -> Iterable[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _insert(model, rows: Iterable[tuple]) -> None:
    placeholders = f"({', '.join(['%s'] * len(_columns(model).split(', ')))})"
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            cursor.execute(
                f"INSERT INTO {_table(model)} ({_columns(model)}) VALUES "
                + ", ".join([placeholders] * len(batch)),
                [value for row in batch for value in row],
            )


def _delete(column: str, ids: list[int]) -> None:
    """Delete the rows whose ``column`` is one of ``ids`` from both tables, in SQL: a
    queryset's delete() would send a signal per row (the timeline version's receiver listens
    to every model)."""
    with connection.cursor() as cursor:
        for batch in _batches(ids):
            for model in (MatchedInForcePeriod, MatchedEvent):
                cursor.execute(
                    f"DELETE FROM {_table(model)} WHERE {column} IN "
                    f"({', '.join(['%s'] * len(batch))})",
                    batch,
                )


def measures_rewritten(
    measures: dict[int, tuple[str, datetime.date | None, list[tuple], list[int]]],
) -> None:
    """Bring the rows of some measures in step with what is stored now: ``measures`` maps each
    id to its key, entry into force, in-force periods (``(starts_on, ends_before)``) and
    listed materials (their events are read here). A measure whose rows would not change
    writes nothing."""
    from .models import MeasureEvent

    if not measures:
        return
    ids = sorted(measures)
    events: dict[int, list[tuple]] = {pk: [] for pk in ids}
    stored: dict[int, set[tuple]] = {pk: set() for pk in ids}
    for batch in _batches(ids):
        for measure_id, *event in MeasureEvent.objects.filter(measure_id__in=batch).values_list(
            "measure_id", "id", "date", "type"
        ):
            events[measure_id].append(tuple(event))
        where = f"measure_id IN ({', '.join(['%s'] * len(batch))})"
        for model in (MatchedInForcePeriod, MatchedEvent):
            for row in _stored(model, where, batch):
                stored[row[1]].add((model, row))
    graph = _graph()
    related: dict[frozenset[int], set[int]] = {}
    wanted: dict[int, set[tuple]] = {}
    for pk, (key, effective_on, periods, listed) in measures.items():
        materials = frozenset(listed)
        if materials not in related:
            related[materials] = graph.related(materials)
        matched = related[materials]
        wanted[pk] = {
            (MatchedInForcePeriod, row)
            for row in _period_rows(pk, key, effective_on, periods, matched)
        } | {(MatchedEvent, row) for row in _event_rows(pk, events[pk], matched)}
    gone = [entry for pk in ids for entry in stored[pk] - wanted[pk]]
    new = [entry for pk in ids for entry in wanted[pk] - stored[pk]]
    periods_gone = [row for kind, row in gone if kind is MatchedInForcePeriod]
    events_gone = [row for kind, row in gone if kind is MatchedEvent]
    with connection.cursor() as cursor:  # each found by its measure's index
        if periods_gone:
            cursor.executemany(
                f"DELETE FROM {_table(MatchedInForcePeriod)} WHERE measure_id = %s AND "
                f"material_id = %s AND starts_on = %s AND effective_on = %s AND {_key()} = %s",
                [(row[1], row[0], row[4], row[2], row[3]) for row in periods_gone],
            )
        if events_gone:
            cursor.executemany(
                f"DELETE FROM {_table(MatchedEvent)} WHERE measure_id = %s AND material_id = %s "
                f"AND event_id = %s AND {_quoted('date')} = %s AND {_quoted('type')} = %s",
                [(row[1], row[0], row[2], row[3], row[4]) for row in events_gone],
            )
    for model in (MatchedInForcePeriod, MatchedEvent):
        _insert(model, (row for kind, row in new if kind is model))


def materials_regrouped(material_ids: Iterable[int]) -> None:
    """Bring in step the rows of ``material_ids``, whose related sets a regrouping (or a
    material's deletion) changed: for each, the measures matching it now are compared with
    those its rows hold, and only the difference is written (the rows of a measure that still
    matches are unchanged: a regrouping moves no period or event). When most of what it holds
    is gone, its rows are rewritten whole."""
    from .models import MeasureMaterial

    graph = _graph()
    for material in sorted(set(material_ids)):
        listing = MeasureMaterial.objects.filter(material_id__in=graph.related([material]))
        matching = set(listing.values_list("measure_id", flat=True))
        for model in (MatchedInForcePeriod, MatchedEvent):
            held = set(
                model.objects.filter(material_id=material)
                .values_list("measure_id", flat=True)
                .distinct()
            )
            gone, added = held - matching, matching - held
            if len(gone) > len(matching):
                _delete_of_material(model, material, None)
                gone, added = set(), matching
            _delete_of_material(model, material, sorted(gone))
            _insert(model, _rows_matching(model, material, sorted(added)))


def _delete_of_material(model, material_id: int, measure_ids: list[int] | None) -> None:
    """Delete ``material_id``'s rows of the measures ``measure_ids`` (None: all of them)."""
    table = _table(model)
    with connection.cursor() as cursor:
        if measure_ids is None:
            cursor.execute(f"DELETE FROM {table} WHERE material_id = %s", [material_id])
        for batch in _batches(measure_ids or ()):
            cursor.execute(
                f"DELETE FROM {table} WHERE measure_id IN ({', '.join(['%s'] * len(batch))}) "
                "AND material_id = %s",
                [*batch, material_id],
            )


def _rows_matching(model, material_id: int, measure_ids: list[int]) -> Iterable[tuple]:
    """The rows of ``model`` for the measures ``measure_ids`` matching ``material_id``."""
    from .models import MeasureEvent
    from .periods import InForcePeriod

    for batch in _batches(measure_ids):
        if model is MatchedInForcePeriod:
            periods = (
                InForcePeriod.objects.filter(measure_id__in=batch)
                .order_by()  # the default order would add the listed material to DISTINCT
                .values_list(
                    "measure_id", "measure__effective_on", "measure__key", "starts_on",
                    "ends_before",
                )
                .distinct()
            )  # fmt: skip
            yield from ((material_id, *row) for row in periods if row[1] is not None)
        else:
            events = MeasureEvent.objects.filter(measure_id__in=batch).values_list(
                "measure_id", "id", "date", "type"
            )
            yield from ((material_id, *row) for row in events)


def forget_measure(measure_id: int) -> None:
    """Delete a measure's rows (it is being deleted)."""
    _delete("measure_id", [measure_id])


def forget_materials(material_ids: list[int]) -> None:
    """Delete the rows of ``material_ids``."""
    _delete("material_id", material_ids)


def _by_measure(rows: Iterable[tuple]) -> Iterable[tuple[int, list[tuple]]]:
    """``rows`` ordered by their first value (a measure id), grouped by it."""
    for pk, group in itertools.groupby(rows, key=lambda row: row[0]):
        yield pk, list(group)


def _expected_periods(wanted: set[int] | None, graph: GroupGraph) -> Iterable[PeriodRow]:
    """The period rows of the materials ``wanted`` (None: of every material), from the stored
    periods (which name the listed materials), the measures' keys and entry into force, and
    the group links: one pass over the periods of the measures matching any of them."""
    from .periods import InForcePeriod

    periods = InForcePeriod.objects.all()
    if wanted is not None:
        listing = InForcePeriod.objects.filter(material_id__in=graph.related(wanted))
        periods = periods.filter(measure_id__in=listing.values("measure_id"))
    rows = periods.order_by("measure_id").values_list(
        "measure_id", "material_id", "starts_on", "ends_before", "measure__key",
        "measure__effective_on",
    )  # fmt: skip
    matched: dict[frozenset, set[int]] = {}
    for pk, group in _by_measure(rows.iterator(chunk_size=10_000)):
        listed = frozenset(row[1] for row in group)
        if listed not in matched:
            related = graph.related(listed)
            matched[listed] = related if wanted is None else related & wanted
        periods_of = {(row[2], row[3]) for row in group}
        yield from _period_rows(pk, group[0][4], group[0][5], periods_of, matched[listed])


def _expected_events(wanted: set[int] | None, graph: GroupGraph) -> Iterable[EventRow]:
    """The event rows of the materials ``wanted`` (None: of every material), from the links
    to the listed materials, the events and the group links: the links and the events of the
    measures matching any of them, read side by side in measure order."""
    from .models import MeasureEvent, MeasureMaterial

    links = MeasureMaterial.objects.all()
    events = MeasureEvent.objects.all()
    if wanted is not None:
        measures = links.filter(material_id__in=graph.related(wanted)).values("measure_id")
        links, events = (
            links.filter(measure_id__in=measures),
            events.filter(measure_id__in=measures),
        )
    links = links.order_by("measure_id").values_list("measure_id", "material_id")
    events = events.order_by("measure_id").values_list("measure_id", "id", "date", "type")
    events_of = _by_measure(events.iterator(chunk_size=10_000))
    pending = next(events_of, None)
    matched: dict[frozenset, set[int]] = {}
    for pk, group in _by_measure(links.iterator(chunk_size=10_000)):
        while pending is not None and pending[0] < pk:
            pending = next(events_of, None)
        if pending is None or pending[0] != pk:
            continue
        listed = frozenset(row[1] for row in group)
        if listed not in matched:
            related = graph.related(listed)
            matched[listed] = related if wanted is None else related & wanted
        yield from _event_rows(pk, [row[1:] for row in pending[1]], matched[listed])


def rebuild_materials(
    material_ids: Iterable[int] | None = None, *, tables: Iterable[type[models.Model]] = ()
) -> None:
    """Rewrite the rows of ``material_ids`` (None: every row) from the stored periods, events
    and links; ``tables``: only those models' (the migration adding one fills it alone)."""
    tables = list(tables) or [MatchedInForcePeriod, MatchedEvent]
    graph = _graph()
    rows = {MatchedInForcePeriod: _expected_periods, MatchedEvent: _expected_events}
    if material_ids is None:
        for model in tables:
            with _page_index_built_after(model):
                _insert(model, rows[model](None, graph))
        return
    wanted = set(material_ids)
    if wanted:
        forget_materials(sorted(wanted))
        for model in tables:
            _insert(model, rows[model](wanted, graph))


@contextlib.contextmanager
def _page_index_built_after(model):
    """Empty ``model``'s table and fill it without its page index, built once it is full.
    Inserted in measure order, every row went to another place of the index: at 1,000,000
    measures SQLite's write-ahead log grew past 40 GB before the rows were in."""
    (index,) = model._meta.indexes
    columns = ", ".join(
        _quoted(model._meta.get_field(name.lstrip("-")).column)
        + (" DESC" if name.startswith("-") else "")
        for name in index.fields
    )
    with connection.cursor() as cursor:
        # In the migration that creates the table, the index comes after its data migration.
        built = index.name in connection.introspection.get_constraints(cursor, model._meta.db_table)
        if built:
            cursor.execute(f"DROP INDEX {_quoted(index.name)}")
        cursor.execute(f"DELETE FROM {_table(model)}")
        yield
        if built:
            cursor.execute(f"CREATE INDEX {_quoted(index.name)} ON {_table(model)} ({columns})")


def matches_differing() -> list[str]:
    """The materials whose rows differ from a rebuild, a row held twice included (empty when
    all is current)."""
    graph = _graph()
    differing = set()
    for model, expected in (
        (MatchedInForcePeriod, _expected_periods(None, graph)),
        (MatchedEvent, _expected_events(None, graph)),
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_columns(model)} FROM {_table(model)}")
            held = Counter(_normalized(model, row) for row in cursor)
        wanted = Counter(expected)
        for row in (wanted - held) + (held - wanted):
            differing.add(f"{model._meta.verbose_name}, material {row[0]}")
    return sorted(differing)
