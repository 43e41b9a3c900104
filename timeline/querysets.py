"""Rules over many rows: the status rule in SQL and material matching."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import connections, models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When

from .precision import DatePrecision, period_start
from .status import (
    EFFECTIVE_EVENT,
    ENDED_EVENT,
    REINSTATED_EVENT,
    SUSPENDED_EVENT,
    SUSPENSION_EVENTS,
    MeasureStatus,
)


def _on(day: datetime.date, name: str) -> str:
    """The name of an alias that holds ``name`` as of ``day``: a status annotated for one day
    and a status filter for another in the same query each read their own."""
    return f"{name}_{day:%Y%m%d}"


class MeasureQuerySet(models.QuerySet):
    def _with_latest_suspension(self, day: datetime.date) -> MeasureQuerySet:
        from .models import MeasureEvent

        latest = MeasureEvent.objects.filter(
            measure=OuterRef("pk"),
            type__in=SUSPENSION_EVENTS,
            date__lte=day,
        ).order_by("-date", "type")
        # Whether the latest is only scheduled is asked of its date and type (a confirmed
        # event of the same day and type wins), not by adding "scheduled" to this ordering:
        # SQLite 3.40 then returns rows the date condition excludes.
        confirmed = MeasureEvent.objects.filter(
            measure=OuterRef("pk"),
            type=OuterRef(_on(day, "latest_suspension")),
            date=OuterRef(_on(day, "latest_suspension_date")),
            scheduled=False,
        )
        return self.alias(
            **{
                _on(day, "latest_suspension"): Subquery(latest.values("type")[:1]),
                _on(day, "latest_suspension_date"): Subquery(latest.values("date")[:1]),
            }
        ).alias(**{_on(day, "latest_suspension_scheduled"): ~Exists(confirmed)})

    @staticmethod
    def _date_scheduled(date_field: str, type_: str) -> Q:
        """SQL twin of ``status.date_is_scheduled``: the measure's date is only a plan."""
        from .models import MeasureEvent

        same_day = MeasureEvent.objects.filter(
            measure=OuterRef("pk"), type=type_, date=OuterRef(date_field)
        )
        return Exists(same_day.filter(scheduled=True)) & ~Exists(same_day.filter(scheduled=False))

    @classmethod
    def _status_confirmed(cls, day: datetime.date, conditions: dict[str, Q]) -> Case:
        """SQL twin of ``status.status_confirmed``, over ``_status_conditions`` (needs the
        aliases of ``_with_latest_suspension``)."""
        # Only measures with suspension events run the lookup, as in _status_conditions.
        suspension_scheduled = Q(has_suspension_events=True) & Q(
            **{_on(day, "latest_suspension_scheduled"): True}
        )
        unconfirmed = (
            (conditions[MeasureStatus.ENDED] & cls._date_scheduled("ends_on", ENDED_EVENT))
            | (conditions[MeasureStatus.SUSPENDED] & suspension_scheduled)
            | (
                conditions[MeasureStatus.IN_FORCE]
                & (
                    cls._date_scheduled("effective_on", EFFECTIVE_EVENT)
                    | (
                        Q(**{_on(day, "latest_suspension"): REINSTATED_EVENT})
                        & suspension_scheduled
                    )
                )
            )
        )
        return Case(
            When(unconfirmed, then=Value(False)),
            default=Value(True),
            output_field=models.BooleanField(),
        )

    @staticmethod
    def _status_conditions(day: datetime.date) -> dict[str, Q]:
        """One Q per status, mutually exclusive; the SQL twin of ``status.status_on``."""
        not_ended = Q(ends_on__isnull=True) | Q(ends_on__gt=day)
        effective = not_ended & Q(effective_on__lte=day)
        # has_suspension_events first: the correlated lookup then runs for the few measures
        # that were ever suspended, not for every row.
        latest = _on(day, "latest_suspension")
        suspended = Q(has_suspension_events=True) & Q(**{latest: SUSPENDED_EVENT})
        never_suspended = Q(has_suspension_events=False) | Q(**{f"{latest}__isnull": True})
        return {
            MeasureStatus.ENDED: Q(ends_on__lte=day),
            MeasureStatus.SUSPENDED: effective & suspended,
            MeasureStatus.IN_FORCE: effective & (never_suspended | Q(**{latest: REINSTATED_EVENT})),
            MeasureStatus.UPCOMING: not_ended
            & (Q(effective_on__isnull=True) | Q(effective_on__gt=day))
            & (Q(announced_on__isnull=True) | Q(announced_on__lte=day)),
        }

    @staticmethod
    def _status_certain(day: datetime.date) -> Case:
        """SQL twin of ``status.status_certain``. An imprecise date is stored as its period's
        first day, so "``day`` lies inside its period" is an equality with the first day of
        ``day``'s month or year."""
        from .models import MEASURE_DATE_FIELDS, MeasureEvent

        def inside(date_field: str, precision_field: str) -> Q:
            return Q(
                **{
                    precision_field: DatePrecision.MONTH,
                    date_field: period_start(day, DatePrecision.MONTH),
                }
            ) | Q(
                **{
                    precision_field: DatePrecision.YEAR,
                    date_field: period_start(day, DatePrecision.YEAR),
                }
            )

        uncertain = Q()
        for name in MEASURE_DATE_FIELDS:
            uncertain |= inside(name, f"{name}_precision")
        suspensions = MeasureEvent.objects.filter(
            inside("date", "date_precision"), measure=OuterRef("pk"), type__in=SUSPENSION_EVENTS
        )
        uncertain |= Q(has_suspension_events=True) & Exists(suspensions)
        return Case(
            When(uncertain, then=Value(False)),
            default=Value(True),
            output_field=models.BooleanField(),
        )

    def with_status(self, day: datetime.date) -> MeasureQuerySet:
        """Annotate ``status`` on ``day`` (NULL when not yet announced), ``status_confirmed``
        (false when the status rests on an unconfirmed scheduled event) and
        ``status_certain`` (false when ``day`` lies inside the period of a date known only to
        the month or year)."""
        conditions = self._status_conditions(day)
        return self._with_latest_suspension(day).annotate(
            status=Case(
                *(
                    When(condition, then=Value(str(status)))
                    for status, condition in conditions.items()
                ),
                default=Value(None),
                output_field=models.CharField(),
            ),
            status_confirmed=self._status_confirmed(day, conditions),
            status_certain=self._status_certain(day),
        )

    def with_status_in(self, day: datetime.date, statuses: Iterable[str]) -> MeasureQuerySet:
        conditions = self._status_conditions(day)
        wanted = Q()
        for status in statuses:
            wanted |= conditions[MeasureStatus(status)]
        return self._with_latest_suspension(day).filter(wanted)

    def in_force_on(self, day: datetime.date) -> MeasureQuerySet:
        """Measures in force on ``day``: ``with_status_in(day, ["in_force"])``, read off the
        stored periods (``periods.py``) instead of evaluating the rule on every measure."""
        from .periods import in_force_on

        return self.filter(in_force_on(day), effective_on__lte=day)

    def in_force_on_listing(
        self, day: datetime.date, material_ids: set[int], *, matches: int | None = None
    ) -> MeasureQuerySet:
        """``matching_materials(materials).in_force_on(day)``, given the matching materials'
        ids (``Material.objects.related_ids(materials)``), read off their periods. A few
        hundred matches are read from their index ranges and sorted; when many match, the
        measures are walked in page order (newest entry into force first) and each is looked
        up, so a page stops after its last row. Both give the same rows. ``matches``, the
        number of matches when it is known (``counts``), picks; else
        ``periods.many_in_force`` does, reading a bounded index range."""
        from .periods import (
            in_force_listing,
            many_in_force,
            measures_in_force_listing,
            sorted_at_most,
        )

        ids = material_ids
        if many_in_force(ids, day) if matches is None else matches > sorted_at_most():
            return self.filter(in_force_listing(ids, day), effective_on__lte=day)
        # "effective_on <= day" holds for every match; said, it keeps PostgreSQL's planner,
        # when it walks the measures in page order anyway (it guesses the matches spread
        # evenly over all time), from starting decades after the day (seconds for a day in
        # 1996 at 1,000,000 measures).
        return self.filter(pk__in=measures_in_force_listing(ids, day), effective_on__lte=day)

    def with_oldest_scheduled(self, day: datetime.date) -> MeasureQuerySet:
        """Annotate ``oldest_scheduled_on``: the earliest scheduled event dated on or before
        ``day`` (a plan whose day has passed and no source confirms), or NULL."""
        from .models import MeasureEvent

        passed = MeasureEvent.objects.filter(measure=OuterRef("pk"), scheduled=True, date__lte=day)
        return self.annotate(
            oldest_scheduled_on=Subquery(passed.order_by("date").values("date")[:1])
        )

    def needing_review(self, day: datetime.date) -> MeasureQuerySet:
        """Measures with a scheduled event dated on or before ``day``, for an editor to confirm
        (clear the flag) or correct, with ``oldest_scheduled_on`` to review the oldest first."""
        return self.with_oldest_scheduled(day).filter(oldest_scheduled_on__isnull=False)

    def matching_materials(self, materials: Iterable) -> MeasureQuerySet:
        """Measures listing any of ``materials``, a group containing one, or a member of one."""
        from .models import Material, MeasureMaterial

        ids = Material.objects.related_ids(materials)
        # A correlated EXISTS lets a page be read in index order and stop after the page. The
        # "+ 0" keeps SQLite from probing the (material, measure) index once per listed
        # material for every measure; it looks up the measure's few links instead.
        listed = MeasureMaterial.objects.alias(listed_id=F("material_id") + 0).filter(
            measure=OuterRef("pk"), listed_id__in=ids
        )
        return self.filter(Exists(listed))


def _links_to(materials: Iterable) -> models.QuerySet:
    from .models import Material, MeasureMaterial

    return MeasureMaterial.objects.filter(material_id__in=Material.objects.related_ids(materials))


def events_matching(events: models.QuerySet, materials: Iterable) -> models.QuerySet:
    """``events`` of the measures matching ``materials`` (group expansion both ways), read
    by measure: the way to count them, and to list them when few measures match."""
    return events.filter(measure_id__in=_links_to(materials).values("measure_id"))


class GroupGraph:
    """Group membership read once (member -> groups, group -> members), to expand many sets
    of materials as ``MaterialQuerySet.related_ids`` does, without a query each (a test holds
    the two equal)."""

    def __init__(self, links: Iterable[tuple[int, int]]):
        self.up: dict[int, set[int]] = defaultdict(set)
        self.down: dict[int, set[int]] = defaultdict(set)
        for member, group in links:
            self.up[member].add(group)
            self.down[group].add(member)

    @staticmethod
    def _reach(start: Iterable[int], edges: dict[int, set[int]]) -> set[int]:
        seen: set[int] = set()
        frontier = set(start)
        while frontier:
            seen |= frontier
            frontier = {nxt for node in frontier for nxt in edges.get(node, ())} - seen
        return seen

    def related(self, material_ids: Iterable[int]) -> set[int]:
        """The materials, their groups upwards and their members downwards, transitively."""
        ids = set(material_ids)
        return self.groups_of(ids) | self.members_of(ids)

    def groups_of(self, material_ids: Iterable[int]) -> set[int]:
        """The materials and every group containing one, transitively."""
        return self._reach(material_ids, self.up)

    def members_of(self, material_ids: Iterable[int]) -> set[int]:
        """The materials and every member of one, transitively."""
        return self._reach(material_ids, self.down)


class _NotIndexed(models.Func):
    """A column's value, which on SQLite no index may serve (its unary plus; the column
    itself elsewhere)."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


class MeasureEventQuerySet(models.QuerySet):
    def recorded(self) -> MeasureEventQuerySet:
        """The events a source records, not those put on the timeline from the measure's own
        dates (``derived``)."""
        return self.filter(derived=False)

    def of_types(self, types: Iterable[str]) -> MeasureEventQuerySet:
        """The events of any of ``types``. On SQLite the type is kept out of the index on
        (measure, type, date): with several measures and several types both read as lists of
        that index, SQLite 3.40 (Debian 12's) returned the wrong first rows under ORDER BY
        ... LIMIT, while counting them right (fixed in later releases; 3.51 gives the right
        rows)."""
        types = list(types)
        if len(types) == 1:
            return self.filter(type=types[0])
        return self.alias(
            type_not_indexed=_NotIndexed("type", output_field=models.CharField())
        ).filter(type_not_indexed__in=types)


class MaterialQuerySet(models.QuerySet):
    def group_graph(self) -> GroupGraph:
        """Every group link, read once (see ``GroupGraph``)."""
        from .models import Material

        return GroupGraph(
            Material.groups.through.objects.values_list("from_material_id", "to_material_id")
        )

    @staticmethod
    def _ids_of(materials: Iterable) -> set[int]:
        return {getattr(material, "pk", material) for material in materials}

    def descendant_ids(self, materials: Iterable) -> set[int]:
        """The materials and every member of them, transitively."""
        return self._expanded(materials, upwards=False)

    def related_ids(self, materials: Iterable) -> set[int]:
        """The materials, their groups upwards and their members downwards, transitively."""
        return self._expanded(materials, upwards=True)

    def _expanded(self, materials: Iterable, *, upwards: bool) -> set[int]:
        """The materials and their members, transitively, and with ``upwards`` their groups
        too: one recursive query over the group links (every request naming a material asks
        it; reading every link to walk them in Python cost a millisecond). Indexing many
        measures at once walks ``group_graph`` instead, and a test holds the two equal."""
        from .models import Material

        start = sorted(self._ids_of(materials))
        if not start:
            return set()
        connection = connections[self.db]
        q = connection.ops.quote_name
        links = q(Material.groups.through._meta.db_table)
        down = (
            f"down(id) AS (SELECT id FROM start UNION SELECT l.from_material_id FROM {links} l "
            "JOIN down ON l.to_material_id = down.id)"
        )
        up = (
            f"up(id) AS (SELECT id FROM start UNION SELECT l.to_material_id FROM {links} l "
            "JOIN up ON l.from_material_id = up.id)"
        )
        sql = (
            f"WITH RECURSIVE start(id) AS (SELECT id FROM {q(Material._meta.db_table)} "
            f"WHERE id IN ({', '.join(['%s'] * len(start))})), {down}"
            + (
                f", {up} SELECT id FROM up UNION SELECT id FROM down"
                if upwards
                else " SELECT id FROM down"
            )
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, start)
            return {pk for (pk,) in cursor.fetchall()}
