"""Building, storing and reading measures' representations (see the package docstring)."""

from __future__ import annotations

import bisect
import datetime
import functools
import operator
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import orjson
from django.db import connection
from django.db.models import F, Q

from ..models import (
    MEASURE_DATE_FIELDS,
    Authority,
    Jurisdiction,
    Material,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    MeasureSource,
    Sector,
)
from ..precision import DatePrecision, partial_date_text, period_end
from ..status import MeasureStatus, status_certain, status_confirmed, status_on
from .models import MeasureRepresentation

BATCH = 1000
ONE_DAY = datetime.timedelta(days=1)
# What a read of measures needs besides their stored representation (``values()`` names).
READ_FIELDS = (
    "id",
    "key",
    "created_at",
    "updated_at",
    "representation__updated_at",
    "representation__body",
    "representation__status_inputs",
)
_OWN_FIELDS = (
    "id", "key", "title", "reference", "jurisdiction__code", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "announced_on_precision", "effective_on_precision",
    "ends_on_precision", "confidence", "notes", "updated_at",
)  # fmt: skip

Representation = tuple[dict[str, Any], dict[str, Any]]  # (body, status inputs)


@functools.cache
def _nested_sql() -> dict[str, str]:
    """The SQL reading each nested list of some measures, ``{ids}`` standing for the
    placeholders of their ids, each list in the order the API gives it."""
    q = connection.ops.quote_name

    def table(model) -> str:
        return q(model._meta.db_table)

    m2m = {
        name: getattr(Measure, name).through
        for name in ("authorities", "target_jurisdictions", "sectors")
    }
    return {
        "authorities": f"SELECT t.measure_id, a.slug FROM {table(m2m['authorities'])} t "
        f"JOIN {table(Authority)} a ON a.id = t.authority_id "
        "WHERE t.measure_id IN ({ids}) ORDER BY a.slug",
        "targets": f"SELECT t.measure_id, j.code FROM {table(m2m['target_jurisdictions'])} t "
        f"JOIN {table(Jurisdiction)} j ON j.id = t.jurisdiction_id "
        "WHERE t.measure_id IN ({ids}) ORDER BY j.code",
        "sectors": f"SELECT t.measure_id, s.slug FROM {table(m2m['sectors'])} t "
        f"JOIN {table(Sector)} s ON s.id = t.sector_id "
        "WHERE t.measure_id IN ({ids}) ORDER BY s.name",
        "materials": "SELECT t.measure_id, m.slug, m.name, t.scope "
        f"FROM {table(MeasureMaterial)} t JOIN {table(Material)} m ON m.id = t.material_id "
        "WHERE t.measure_id IN ({ids}) ORDER BY m.name",
        "events": "SELECT measure_id, date, date_precision, type, note, source_url, scheduled "
        f"FROM {table(MeasureEvent)} WHERE measure_id IN ({{ids}}) AND NOT derived "
        "ORDER BY date, type, id",
        "sources": "SELECT measure_id, url, title, publisher, published_on "
        f"FROM {table(MeasureSource)} WHERE measure_id IN ({{ids}}) ORDER BY id",
        "related": f"SELECT r.from_measure_id, o.{q('key')}, r.relation "
        f"FROM {table(MeasureRelation)} r JOIN {table(Measure)} o ON o.id = r.to_measure_id "
        "WHERE r.from_measure_id IN ({ids}) ORDER BY r.relation, o." + q("key"),
    }  # fmt: skip


def _nested(name: str, ids: list[int]) -> defaultdict[int, list[tuple]]:
    groups: defaultdict[int, list[tuple]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(_nested_sql()[name].format(ids=", ".join(["%s"] * len(ids))), ids)
        for owner, *rest in cursor.fetchall():
            groups[owner].append(tuple(rest))
    return groups


def day_from_sql(value) -> datetime.date | None:
    """A date column read without the ORM: SQLite gives its ISO text."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _iso(value) -> str | None:
    return day_from_sql(value).isoformat() if value is not None else None


def build(ids: Iterable[int]) -> dict[int, tuple[Representation, datetime.datetime]]:
    """The representations of the measures with ``ids`` (missing ones are left out), built from
    their tables, each with the ``updated_at`` it was built at: eight queries whatever their
    number (up to the database's limit on parameters: callers batch by ``BATCH``)."""
    ids = list(ids)
    if not ids:
        return {}
    nested = {name: _nested(name, ids) for name in _nested_sql()}
    built = {}
    for row in Measure.objects.filter(pk__in=ids).values(*_OWN_FIELDS):
        pk = row["id"]
        events = [
            (day_from_sql(day), precision, kind, note, url, bool(flag))
            for day, precision, kind, note, url, flag in nested["events"][pk]
        ]
        body = {
            "key": row["key"],
            "url": None,
            "title": row["title"],
            "reference": row["reference"],
            "jurisdiction": row["jurisdiction__code"],
            "authorities": [slug for (slug,) in nested["authorities"][pk]],
            "measure_type": row["measure_type"],
            "status": None,
            "status_confirmed": None,
            "status_certain": None,
            "summary": row["summary"],
            **{
                field: value
                for name in MEASURE_DATE_FIELDS
                for field, value in (
                    (name, partial_date_text(row[name], row[f"{name}_precision"])),
                    (f"{name}_precision", row[f"{name}_precision"]),
                )
            },
            "target_jurisdictions": [code for (code,) in nested["targets"][pk]],
            "materials": [
                {"material": slug, "name": name, "scope": scope}
                for slug, name, scope in nested["materials"][pk]
            ],
            "sectors": [slug for (slug,) in nested["sectors"][pk]],
            "events": [
                {
                    "date": partial_date_text(date, precision),
                    "date_precision": precision,
                    "type": type_,
                    "note": note,
                    "source_url": url or None,
                    "scheduled": scheduled,
                }
                for date, precision, type_, note, url, scheduled in events
            ],
            "related": [
                {"measure": key, "relation": relation} for key, relation in nested["related"][pk]
            ],
            "sources": [
                {"url": url, "title": title, "publisher": publisher, "published_on": _iso(day)}
                for url, title, publisher, day in nested["sources"][pk]
            ],
            "confidence": row["confidence"],
            "notes": row["notes"],
            "created_at": None,
            "updated_at": None,
        }
        inputs = {
            "dates": {
                name: [_iso(row[name]), row[f"{name}_precision"]] for name in MEASURE_DATE_FIELDS
            },
            "events": [
                [date.isoformat(), precision, type_, scheduled]
                for date, precision, type_, _, _, scheduled in events
            ],
        }
        inputs["turns"] = status_turns(inputs)
        built[pk] = ((body, inputs), row["updated_at"])
    return built


def refresh(ids: Iterable[int]) -> None:
    """Rewrite the stored representations of the measures with ``ids`` from their tables (in
    the caller's transaction): nine queries per thousand measures."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH):
        rows = [
            MeasureRepresentation(
                measure_id=pk,
                updated_at=updated_at,
                body=orjson.dumps(body).decode(),
                status_inputs=orjson.dumps(inputs).decode(),
            )
            for pk, ((body, inputs), updated_at) in build(ids[start : start + BATCH]).items()
        ]
        MeasureRepresentation.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["measure"],
            update_fields=["updated_at", "body", "status_inputs"],
        )


def not_current() -> Q:
    """A condition on measures: no stored representation, or one built before the measure's
    last change or without its status turns (``status_turns``)."""
    return (
        Q(representation__isnull=True)
        | ~Q(representation__updated_at=F("updated_at"))
        | ~Q(representation__status_inputs__contains='"turns"')  # stored before turns were
    )


def rebuild_all(*, only_not_current: bool = False) -> int:
    """Rewrite every measure's stored representation (``only_not_current``: those that are
    not current); returns how many were written."""
    measures = Measure.objects.filter(not_current()) if only_not_current else Measure.objects
    ids = list(measures.values_list("pk", flat=True))
    refresh(ids)
    return len(ids)


@functools.cache
def _read_sql() -> str:
    """Measures with their stored representations, ``{where}`` standing for the condition:
    one plain statement (built through the ORM, it cost more than running it)."""
    q = connection.ops.quote_name
    measure, stored = q(Measure._meta.db_table), q(MeasureRepresentation._meta.db_table)
    return (
        f"SELECT m.id, m.{q('key')}, m.created_at, m.updated_at, r.updated_at, r.body, "
        f"r.status_inputs FROM {measure} m LEFT JOIN {stored} r ON r.measure_id = m.id "
        "WHERE {where}"
    )


def _moment(value) -> datetime.datetime | None:
    """A datetime column read without the ORM, aware: SQLite gives UTC as ISO text."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def _rows(where: str, params: list) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(_read_sql().format(where=where), params)
        found = cursor.fetchall()
    rows = []
    for pk, key, created_at, updated_at, stored_at, body, inputs in found:
        updated = _moment(updated_at)
        rows.append(
            {
                "id": pk,
                "key": key,
                "created_at": _moment(created_at),
                "updated_at": updated,
                # Read as the measure's own when equal: most are, and converting is per row.
                "representation__updated_at": updated
                if stored_at == updated_at
                else _moment(stored_at),
                "representation__body": body,
                "representation__status_inputs": inputs,
            }
        )
    return rows


def rows_of_ids(ids: list[int]) -> list[dict]:
    """``READ_FIELDS`` rows of the measures with ``ids``, in that order (missing ones left
    out): one statement."""
    if not ids:
        return []
    by_id = {row["id"]: row for row in _rows(f"m.id IN ({', '.join(['%s'] * len(ids))})", ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def rows_of_key(key: str) -> list[dict]:
    """The ``READ_FIELDS`` row of the measure ``key``, in a list (empty: there is none)."""
    return _rows(f"m.{connection.ops.quote_name('key')} = %s", [key])


def read(rows: list[dict]) -> list[Representation]:
    """The representations of ``rows`` (``READ_FIELDS`` values of measures), in their order:
    each stored one still current parsed, the others built from the tables (one ``build``)."""
    out: list[Representation | None] = []
    missing = []
    for row in rows:
        if row["representation__updated_at"] == row["updated_at"]:
            out.append(
                (
                    orjson.loads(row["representation__body"]),
                    orjson.loads(row["representation__status_inputs"]),
                )
            )
        else:
            out.append(None)
            missing.append(row["id"])
    if missing:
        built = build(missing)
        out = [
            built[row["id"]][0] if got is None else got for row, got in zip(rows, out, strict=True)
        ]
    return out


# Where a stored body (``orjson.dumps`` of ``build``'s dict, keys in the API's order) holds what
# each read decides: ``url`` second, the status triple after ``measure_type``, the two times
# last. Only values before each slot precede it, all JSON strings or lists of them, in which a
# quote is escaped, so each slot's first occurrence is the top-level one.
_URL_SLOT = '"url":null,'
_STATUS_SLOT = '"status":null,"status_confirmed":null,"status_certain":null,'
_TIMES_SLOT = '"created_at":null,"updated_at":null}'


def spliced(
    body_text: str,
    url: str,
    status: tuple[MeasureStatus | None, bool, bool],
    created_at: str,
    updated_at: str,
) -> bytes | None:
    """The stored body ``body_text`` with its per-read values filled in, as JSON bytes: the
    same bytes as ``orjson.dumps`` of the parsed body with those values set, without parsing
    it (a page of 50 measures parsed and rendered again cost a third of its request). None
    when the text lacks a slot (it was not written by ``build``)."""
    head, url_slot, rest = body_text.partition(_URL_SLOT)
    middle, status_slot, tail = rest.partition(_STATUS_SLOT)
    if not (url_slot and status_slot and tail.endswith(_TIMES_SLOT)):
        return None
    value = orjson.dumps
    return b"".join(
        (
            head.encode(),
            b'"url":',
            value(url),
            b",",
            middle.encode(),
            b'"status":',
            value(status[0]),
            b',"status_confirmed":',
            value(status[1]),
            b',"status_certain":',
            value(status[2]),
            b",",
            tail[: -len(_TIMES_SLOT)].encode(),
            b'"created_at":',
            value(created_at),
            b',"updated_at":',
            value(updated_at),
            b"}",
        )
    )


def status_on_day(
    inputs: dict[str, Any], day: datetime.date
) -> tuple[MeasureStatus | None, bool, bool]:
    """(status, status_confirmed, status_certain) on ``day`` by the rules in
    ``timeline.status``, over stored status inputs (see ``MeasureRepresentation``): read off
    their ``turns`` (``status_turns``) when they hold them, else computed."""
    turns = inputs.get("turns")
    if turns is not None:
        at = bisect.bisect_right(turns, day.isoformat(), key=operator.itemgetter(0)) - 1
        status, confirmed, certain = turns[at][1:]
        return (MeasureStatus(status) if status is not None else None), confirmed, certain
    return _status_computed(inputs, day)


def status_turns(inputs: dict[str, Any]) -> list[list]:
    """The status triple of ``status_on_day`` as it changes over time:
    ``[[day, status, confirmed, certain], ...]``, each holding from its day (ISO text; ``""``
    for the first, from the beginning of time) until the next. The rules compare the day only
    with the measure's dates, its events' dates and, for a date known to the month or the
    year, its period's first and last days, so they are asked on each of those days (and the
    day after a period) and the answer holds until the next; a property test holds the turns
    to the rule around every turn."""
    stated = [*inputs["dates"].values(), *([d, p] for d, p, _, _ in inputs["events"])]
    known = [(day_from_sql(value), precision) for value, precision in stated if value is not None]
    ends = {period_end(day, kind) for day, kind in known if kind != DatePrecision.DAY}
    days = {day for day, _ in known} | {end + ONE_DAY for end in ends if end < datetime.date.max}
    first = min(days, default=datetime.date.max)
    before = first - ONE_DAY if first > datetime.date.min else first
    turns: list[list] = []
    for text, day in [("", before), *((d.isoformat(), d) for d in sorted(days))]:
        status, confirmed, certain = _status_computed(inputs, day)
        triple = [status.value if status is not None else None, confirmed, certain]
        if not turns or turns[-1][1:] != triple:
            turns.append([text, *triple])
    return turns


def _status_computed(
    inputs: dict[str, Any], day: datetime.date
) -> tuple[MeasureStatus | None, bool, bool]:
    dates = {
        name: (day_from_sql(value), precision)
        for name, (value, precision) in inputs["dates"].items()
    }
    plain = {name: value for name, (value, _) in dates.items()}
    events = [
        (datetime.date.fromisoformat(date), precision, type_, scheduled)
        for date, precision, type_, scheduled in inputs["events"]
    ]
    return (
        status_on(day, **plain, events=[(d, t) for d, _, t, _ in events]),
        status_confirmed(day, **plain, events=[(d, t, s) for d, _, t, s in events]),
        status_certain(day, **dates, events=[(d, t, p) for d, p, t, _ in events]),
    )
