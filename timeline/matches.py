"""Each measure's in-force periods stored once per material it matches, in the measures list's
order, so that a page of ``GET /measures/?material=X&in_force_on=D`` is read off one index
range and stops after its last row.

A measure matches a material when it lists it, a group containing it or a member of it,
transitively (``Material.objects.related_ids``; the relation is symmetric, so the materials a
measure matches are ``related_ids`` of those it lists). The in-force periods
(``periods.InForcePeriod``) are stored per *listed* material: a page asked about one material
then walks the measures in page order and probes each one's periods, or sorts every match,
milliseconds of SQL per question either way. ``MatchedInForcePeriod`` holds the same periods
per *matched* material, with the two values the list is ordered by (``-effective_on, key``),
and its index holds them in that order: the page is the first rows of one index range whose
period covers the day.

Derived, never edited, and kept in the write's transaction by the same paths as the counts
(``counts``):

- ``rebuild_in_force_periods`` rewrites the rows of the measures it rebuilds, when their
  periods, matched materials, key or entry into force changed (``measures_rewritten``);
- deleting a measure deletes its rows (``forget_measure``);
- regrouping materials, or deleting one, rewrites the rows of the materials whose related set
  changed (``rebuild_materials``, called by ``counts.rebuild_counts``);
- the migration that added the table and the synthetic generator fill it (``rebuild_counts``).

A check after every test of the suite holds it equal to a rebuild (``matches_differing``).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable

from django.db import connection, models

from .querysets import GroupGraph

BATCH = 500
# (material_id, measure_id, effective_on, key, starts_on, ends_before)
Row = tuple[int, int, datetime.date, str, datetime.date, datetime.date | None]


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

    material = models.ForeignKey(
        "timeline.Material",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the page index leads with it
        related_name="+",
    )
    measure = models.ForeignKey(
        "timeline.Measure", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
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


def _table() -> str:
    return connection.ops.quote_name(MatchedInForcePeriod._meta.db_table)


def _key() -> str:
    return connection.ops.quote_name("key")


def _graph() -> GroupGraph:
    from .models import Material

    return Material.objects.group_graph()


def _rows_of(
    measure_id: int,
    key: str,
    effective_on: datetime.date | None,
    periods: Iterable[tuple[datetime.date, datetime.date | None]],
    matched: Iterable[int | None],
) -> list[Row]:
    if effective_on is None:  # never in force: it has no periods
        return []
    return [
        (material, measure_id, effective_on, key, starts_on, ends_before)
        for material in sorted(material for material in matched if material is not None)
        for starts_on, ends_before in sorted(periods, key=lambda period: period[0])
    ]


def _stored(where: str, params: list) -> set[Row]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT material_id, measure_id, effective_on, {_key()}, starts_on, ends_before "
            f"FROM {_table()} WHERE {where}",
            params,
        )
        return {_row(row) for row in cursor.fetchall()}


def _day(value) -> datetime.date | None:
    """A date column read in SQL: SQLite gives its ISO text."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _row(row: tuple) -> Row:
    material, measure, effective_on, key, starts_on, ends_before = row
    return (material, measure, _day(effective_on), key, _day(starts_on), _day(ends_before))


def _batches(items: Iterable) -> Iterable[list]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _insert(rows: Iterable[Row]) -> None:
    with connection.cursor() as cursor:
        for batch in _batches(rows):
            cursor.execute(
                f"INSERT INTO {_table()} (material_id, measure_id, effective_on, {_key()}, "
                "starts_on, ends_before) VALUES "
                + ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(batch)),
                [value for row in batch for value in row],
            )


def _delete(column: str, ids: list[int]) -> None:
    """Delete the rows whose ``column`` is one of ``ids``, in SQL: a queryset's delete() would
    send a signal per row (the timeline version's receiver listens to every model)."""
    with connection.cursor() as cursor:
        for batch in _batches(ids):
            cursor.execute(
                f"DELETE FROM {_table()} WHERE {column} IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )


def measures_rewritten(
    measures: dict[int, tuple[str, datetime.date | None, list[tuple], list[int]]],
) -> None:
    """Bring the rows of some measures in step with what is stored now: ``measures`` maps each
    id to its key, entry into force, in-force periods (``(starts_on, ends_before)``) and
    listed materials. A measure whose rows would not change writes nothing."""
    if not measures:
        return
    graph = _graph()
    related: dict[frozenset[int], set[int]] = {}
    wanted: dict[int, set[Row]] = {}
    for pk, (key, effective_on, periods, listed) in measures.items():
        materials = frozenset(listed)
        if materials not in related:
            related[materials] = graph.related(materials)
        wanted[pk] = set(_rows_of(pk, key, effective_on, set(periods), related[materials]))
    ids = sorted(measures)
    stored: dict[int, set[Row]] = {pk: set() for pk in ids}
    for batch in _batches(ids):
        for row in _stored(f"measure_id IN ({', '.join(['%s'] * len(batch))})", list(batch)):
            stored[row[1]].add(row)
    changed = [pk for pk in ids if stored[pk] != wanted[pk]]
    _delete("measure_id", changed)
    _insert(row for pk in changed for row in sorted(wanted[pk]))


def forget_measure(measure_id: int) -> None:
    """Delete a measure's rows (it is being deleted)."""
    _delete("measure_id", [measure_id])


def forget_materials(material_ids: list[int]) -> None:
    """Delete the rows of ``material_ids``."""
    _delete("material_id", material_ids)


def _expected(material_ids: Iterable[int] | None, graph: GroupGraph) -> Iterable[Row]:
    """The rows of ``material_ids`` (None: of every material), from the stored periods, the
    measures' keys and entry into force, and the group links: one pass over the periods of the
    measures matching any of them (those listing a material related to one)."""
    from .periods import InForcePeriod

    wanted = None if material_ids is None else set(material_ids)
    periods = InForcePeriod.objects.all()
    if wanted is not None:
        listing = InForcePeriod.objects.filter(material_id__in=graph.related(wanted))
        periods = periods.filter(measure_id__in=listing.values("measure_id"))
    rows = periods.order_by("measure_id").values_list(
        "measure_id", "material_id", "starts_on", "ends_before", "measure__key",
        "measure__effective_on",
    )  # fmt: skip
    matched: dict[frozenset, set[int]] = {}
    for pk, group in itertools.groupby(rows.iterator(chunk_size=10_000), key=lambda r: r[0]):
        group = list(group)
        listed = frozenset(row[1] for row in group)
        if listed not in matched:
            related = graph.related(listed)
            matched[listed] = related if wanted is None else related & wanted
        yield from _rows_of(
            pk, group[0][4], group[0][5], {(row[2], row[3]) for row in group}, matched[listed]
        )


def rebuild_materials(material_ids: Iterable[int] | None = None) -> None:
    """Rewrite the rows of ``material_ids`` (None: every row) from the stored periods."""
    graph = _graph()
    if material_ids is None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {_table()}")
        _insert(_expected(None, graph))
        return
    ids = sorted(set(material_ids))
    if ids:
        forget_materials(ids)
        _insert(_expected(ids, graph))


def matches_differing() -> list[str]:
    """The materials whose rows differ from a rebuild (empty when all is current)."""
    expected = set(_expected(None, _graph()))
    stored = _stored("1 = 1", [])
    return sorted(
        {f"matched periods, material {row[0]}" for row in expected ^ stored},
    )
