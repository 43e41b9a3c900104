"""The rows of the API's most asked pages, each read with one plain SQL statement.

The ORM builds the same statements (``api.filters``, ``timeline.matches``), and answers every
other form of these questions; building one cost more than running it (0.2 to 0.5 ms each,
against 0.03 ms for reading a page off an index), so ``api.direct_reads`` reads these pages
here. The orders are the API's: events by (date, type, id), the measures in force by (entry
into force, newest first; key). Tests hold every function equal to its queryset
(``tests/api/test_direct_reads.py``)."""

from __future__ import annotations

import datetime
import functools

from django.db import connection

from .matches import MatchedEvent, MatchedInForcePeriod
from .models import Material, Measure, MeasureEvent

# An event row: these names (``values()`` paths of MeasureEvent), in this order.
EVENT_ROW_FIELDS = (
    "date",
    "date_precision",
    "type",
    "note",
    "source_url",
    "scheduled",
    "derived",
    "measure__key",
    "measure__title",
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _day(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


@functools.cache
def _event_columns() -> str:
    q = connection.ops.quote_name
    own = [f"e.{q(name)}" for name in EVENT_ROW_FIELDS[:7]]
    if connection.vendor == "sqlite":
        # The date as SQLite holds it, its ISO text: named as the column, Django's converter
        # parses it into a date, which the page then writes back as the same text (about 3%
        # of an event page's CPU).
        own[0] = f"CAST({own[0]} AS TEXT)"
    return f"{', '.join(own)}, m.{q('key')}, m.{q('title')}"


def _event_rows(sql: str, params: list) -> list[dict]:
    """Event rows as ``values(*EVENT_ROW_FIELDS)`` gives them, but that on SQLite the date is
    its ISO text (``YYYY-MM-DD``, which ``partial_date_text`` takes as it takes a date) and
    0/1 are read as booleans."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # A literal per row: zipping the names in cost three times as much (0.1 ms a page).
        return [
            {
                "date": date,
                "date_precision": precision,
                "type": kind,
                "note": note,
                "source_url": source_url,
                "scheduled": bool(scheduled),
                "derived": bool(derived),
                "measure__key": key,
                "measure__title": title,
            }
            for date, precision, kind, note, source_url, scheduled, derived, key, title in (
                cursor.fetchall()
            )
        ]


def _date_range(after: datetime.date | None, before: datetime.date | None) -> tuple[str, list]:
    """``WHERE`` conditions on events' dates, from ``after`` to ``before`` (both included;
    None: open), and their parameters."""
    conditions, params = ["1 = 1"], []
    if after is not None:
        conditions.append(f"e.{connection.ops.quote_name('date')} >= %s")
        params.append(_day(after))
    if before is not None:
        conditions.append(f"e.{connection.ops.quote_name('date')} <= %s")
        params.append(_day(before))
    return " AND ".join(conditions), params


def events_in_range(
    after: datetime.date | None, before: datetime.date | None, offset: int, limit: int
) -> list[dict]:
    """Events dated from ``after`` to ``before`` (both included; None: open), by (date, type,
    id), rows ``offset`` to ``offset + limit`` (``EVENT_ROW_FIELDS``)."""
    where, params = _date_range(after, before)
    q = connection.ops.quote_name
    sql = (
        f"SELECT {_event_columns()} FROM {_table(MeasureEvent)} e "
        f"INNER JOIN {_table(Measure)} m ON m.id = e.measure_id WHERE {where} "
        f"ORDER BY e.{q('date')}, e.{q('type')}, e.id LIMIT %s OFFSET %s"
    )
    return _event_rows(sql, [*params, limit, offset])


def material_timeline(material_id: int, offset: int, limit: int) -> list[dict]:
    """Events of the measures matching the material ``material_id`` (groups expanded both
    ways, as ``MatchedEvent`` holds them), by (date, type, id), rows ``offset`` to
    ``offset + limit`` (``EVENT_ROW_FIELDS``): one range of the matched events' page index."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT {_event_columns()} FROM {_table(MatchedEvent)} x "
        f"INNER JOIN {_table(MeasureEvent)} e ON e.id = x.event_id "
        f"INNER JOIN {_table(Measure)} m ON m.id = x.measure_id WHERE x.material_id = %s "
        f"ORDER BY x.{q('date')}, x.{q('type')}, x.event_id LIMIT %s OFFSET %s"
    )
    return _event_rows(sql, [material_id, limit, offset])


def measure_ids_in_force(material_id: int, day: datetime.date, offset: int, limit: int) -> list:
    """Ids of the measures matching the material ``material_id`` in force on ``day``, in the
    measures list's default order, ``offset`` to ``offset + limit``: the statement
    ``MatchedInForcePeriod.objects.in_page_order`` builds."""
    q = connection.ops.quote_name
    sql = (
        f"SELECT measure_id FROM {_table(MatchedInForcePeriod)} WHERE material_id = %s "
        "AND effective_on <= %s AND starts_on <= %s AND (ends_before IS NULL OR ends_before > %s) "
        f"ORDER BY effective_on DESC, {q('key')} LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [material_id, _day(day), _day(day), _day(day), limit, offset])
        return [measure_id for (measure_id,) in cursor.fetchall()]


def material_id(slug: str) -> int | None:
    """The id of the material ``slug``; None: there is none."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {_table(Material)} WHERE slug = %s", [slug])
        row = cursor.fetchone()
    return row[0] if row else None
