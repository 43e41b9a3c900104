"""Building, storing and reading measures' representations (see the package docstring)."""

from __future__ import annotations

import bisect
import datetime
import functools
import operator
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

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
_OWN_FIELDS = (
    "id", "key", "title", "reference", "jurisdiction__code", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "announced_on_precision", "effective_on_precision",
    "ends_on_precision", "confidence", "notes", "created_at", "updated_at",
)  # fmt: skip
_STATUSES = {status.value: status for status in MeasureStatus}

Representation = tuple[dict[str, Any], dict[str, Any]]  # (body, status inputs)


class Built(NamedTuple):
    """A representation built from a measure's tables, with the measure's two times then."""

    representation: Representation
    created_at: datetime.datetime
    updated_at: datetime.datetime


def moment_text(value: datetime.datetime) -> str:
    """The API's text of a moment: ISO 8601, UTC written ``Z`` (``2025-01-02T03:04:05.678901Z``,
    no fraction when it is zero), as DRF writes the serializers' times."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


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


def build(ids: Iterable[int]) -> dict[int, Built]:
    """The representations of the measures with ``ids`` (missing ones are left out), built from
    their tables, each with the times it was built at: eight queries whatever their number (up
    to the database's limit on parameters: callers batch by ``BATCH``)."""
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
            "created_at": moment_text(row["created_at"]),
            "updated_at": moment_text(row["updated_at"]),
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
        built[pk] = Built((body, inputs), row["created_at"], row["updated_at"])
    return built


def refresh(ids: Iterable[int]) -> None:
    """Rewrite the stored representations of the measures with ``ids`` from their tables (in
    the caller's transaction): nine queries per thousand measures."""
    ids = sorted(set(ids))
    for start in range(0, len(ids), BATCH):
        rows = [
            MeasureRepresentation(
                measure_id=pk,
                created_at=built.created_at,
                updated_at=built.updated_at,
                body=orjson.dumps(built.representation[0]).decode(),
                status_inputs=orjson.dumps(built.representation[1]).decode(),
            )
            for pk, built in build(ids[start : start + BATCH]).items()
        ]
        MeasureRepresentation.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["measure"],
            update_fields=["created_at", "updated_at", "body", "status_inputs"],
        )


def not_current() -> Q:
    """A condition on measures: no stored representation, or one built at other times than
    the measure's (``_CURRENT`` in SQL) or without its status turns (``status_turns``)."""
    return (
        Q(representation__isnull=True)
        | Q(representation__created_at__isnull=True)  # stored before the times were
        | ~Q(representation__created_at=F("created_at"))
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


# Whether a measure's stored representation is current: built at the measure's times. Its
# updated_at moves on every write that changes how the measure is shown (``timeline.changes``);
# its created_at moves alone when a deleted measure comes back (``services``).
_CURRENT = "r.updated_at = m.updated_at AND r.created_at = m.created_at"


@functools.cache
def _read_sql(with_updated_at: bool) -> str:
    """Measures with their stored representations, ``{where}`` standing for the condition
    (``with_updated_at``: the measure's ``updated_at`` too, as the third column): one plain
    statement (built through the ORM, it cost more than running it). Currency is compared in
    SQL: reading the stored times into Python cost more than the comparison."""
    q = connection.ops.quote_name
    measure, stored = q(Measure._meta.db_table), q(MeasureRepresentation._meta.db_table)
    updated_at = "m.updated_at" if with_updated_at else "NULL"
    return (
        f"SELECT m.id, m.{q('key')}, {updated_at}, CASE WHEN {_CURRENT} THEN 1 ELSE 0 END, "
        f"r.body, r.status_inputs FROM {measure} m LEFT JOIN {stored} r ON r.measure_id = m.id "
        "WHERE {where}"
    )


def _moment(value) -> datetime.datetime:
    """A datetime column read without the ORM, aware (SQLite's is naive UTC)."""
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value


def _rows(where: str, params: list, *, with_updated_at: bool = False) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(_read_sql(with_updated_at).format(where=where), params)
        found = cursor.fetchall()
    rows = [
        {"id": pk, "key": key, "current": bool(current), "body": body, "status_inputs": inputs}
        for pk, key, _, current, body, inputs in found
    ]
    if with_updated_at:
        for row, (_, _, updated_at, *_) in zip(rows, found, strict=True):
            row["updated_at"] = _moment(updated_at)
    return rows


def rows_of_ids(ids: list[int]) -> list[dict]:
    """The rows of the measures with ``ids``, in that order (missing ones left out), one
    statement: ``{"id", "key", "current" (whether the stored body and status inputs are the
    measure's now), "body", "status_inputs" (their JSON text, or None)}``. (A page has no use
    for each measure's ``updated_at``, and reading a time costs a parse per row.)"""
    if not ids:
        return []
    by_id = {row["id"]: row for row in _rows(f"m.id IN ({', '.join(['%s'] * len(ids))})", ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


def rows_of_key(key: str) -> list[dict]:
    """The row (as ``rows_of_ids``, with ``"updated_at"``, aware) of the measure ``key``, in a
    list (empty: there is none)."""
    return _rows(f"m.{connection.ops.quote_name('key')} = %s", [key], with_updated_at=True)


def read(rows: list[dict]) -> list[Representation]:
    """The representations of ``rows`` (``rows_of_ids``), in their order: each stored one
    still current parsed, the others built from the tables (one ``build``)."""
    out: list[Representation | None] = []
    missing = []
    for row in rows:
        if row["current"]:
            out.append((orjson.loads(row["body"]), orjson.loads(row["status_inputs"])))
        else:
            out.append(None)
            missing.append(row["id"])
    if missing:
        built = build(missing)
        out = [
            built[row["id"]].representation if got is None else got
            for row, got in zip(rows, out, strict=True)
        ]
    return out


# Where a stored body (``orjson.dumps`` of ``build``'s dict, keys in the API's order) holds what
# each read decides: ``url`` second, the status triple after ``measure_type``. Only values
# before each slot precede it, all JSON strings or lists of them, in which a quote is escaped,
# so each slot's first occurrence is the top-level one.
_URL_SLOT = '"url":null,'
_STATUS_SLOT = '"status":null,"status_confirmed":null,"status_certain":null,'


@functools.cache
def _status_json(status: tuple[MeasureStatus | None, bool, bool]) -> str:
    return (
        f'"status":{orjson.dumps(status[0]).decode()},"status_confirmed":'
        f'{orjson.dumps(status[1]).decode()},"status_certain":{orjson.dumps(status[2]).decode()},'
    )


def spliced(
    body_text: str, url: str, status: tuple[MeasureStatus | None, bool, bool]
) -> bytes | None:
    """The stored body ``body_text`` with its per-read values filled in, as JSON bytes: the
    same bytes as ``orjson.dumps`` of the parsed body with those values set, without parsing
    it (a page of 50 measures parsed and rendered again cost a third of its request). None
    when the text lacks a slot (it was not written by ``build``)."""
    head, url_slot, rest = body_text.partition(_URL_SLOT)
    middle, status_slot, tail = rest.partition(_STATUS_SLOT)
    if not (url_slot and status_slot):
        return None
    return "".join(
        (head, '"url":', orjson.dumps(url).decode(), ",", middle, _status_json(status), tail)
    ).encode()


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
        return (_STATUSES[status] if status is not None else None), confirmed, certain
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
