"""List pages built from plain rows. A page of 50 measures through model instances, prefetches
and nested serializers costs thousands of queryset clones and field lookups; these build the
same JSON (tests hold them equal to the serializers) from one values() query per relation."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from timeline.models import (
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
from timeline.precision import partial_date_text
from timeline.status import status_certain, status_confirmed, status_on

MEASURE_ROW_FIELDS = (
    "id", "key", "title", "reference", "jurisdiction__code", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "announced_on_precision", "effective_on_precision",
    "ends_on_precision", "confidence", "notes", "created_at", "updated_at",
)  # fmt: skip
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


def _date(value) -> str | None:
    return _day(value).isoformat() if value is not None else None


def _datetime(value) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _grouped(rows: Iterable[tuple]) -> defaultdict[int, list[tuple]]:
    groups: defaultdict[int, list[tuple]] = defaultdict(list)
    for owner, *rest in rows:
        groups[owner].append(tuple(rest))
    return groups


def measure_url_prefix(request) -> str:
    return request.build_absolute_uri(reverse("api:measure-list"))


@functools.cache
def _nested_sql() -> dict[str, str]:
    """The SQL reading each nested list of a page of measures, ``{ids}`` standing for the
    placeholders of their ids: what the serializer's prefetches read, in the same order, as
    plain statements (building them through the ORM cost more than running them)."""
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


def _nested(name: str, ids: list[int]) -> dict[int, list[tuple]]:
    if not ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_nested_sql()[name].format(ids=", ".join(["%s"] * len(ids))), ids)
        return _grouped(cursor.fetchall())


def _day(value) -> datetime.date | None:
    """A date column read without the ORM: SQLite gives its ISO text."""
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def measure_page(rows: list[dict], request, day: datetime.date | None = None) -> list[dict]:
    """The MeasureSerializer representation of a page of ``MEASURE_ROW_FIELDS`` rows, with
    each measure's status on ``day`` (default today)."""
    ids = [row["id"] for row in rows]
    authorities = _nested("authorities", ids)
    targets = _nested("targets", ids)
    sectors = _nested("sectors", ids)
    materials = _nested("materials", ids)
    events = defaultdict(list)
    for pk, entries in _nested("events", ids).items():
        events[pk] = [
            (_day(day), precision, kind, note, url, bool(flag))
            for day, precision, kind, note, url, flag in entries
        ]
    sources = _nested("sources", ids)
    related = _nested("related", ids)
    prefix = measure_url_prefix(request)
    day = day or timezone.localdate()
    page = []
    for row in rows:
        pk = row["id"]
        # The status on ``day`` by the rules in timeline/status.py, over the row's dates and
        # recorded events (derived events only repeat the dates), as MeasureQuerySet.with_status
        # says it in SQL; computed here it costs no per-row subqueries in the page's query.
        dates = {name: row[name] for name in MEASURE_DATE_FIELDS}
        timeline = [(d, t, scheduled) for d, _, t, _, _, scheduled in events[pk]]
        page.append(
            {
                "key": row["key"],
                "url": f"{prefix}{row['key']}/",
                "title": row["title"],
                "reference": row["reference"],
                "jurisdiction": row["jurisdiction__code"],
                "authorities": [slug for (slug,) in authorities[pk]],
                "measure_type": row["measure_type"],
                "status": status_on(day, **dates, events=[(d, t) for d, t, _ in timeline]),
                "status_confirmed": status_confirmed(day, **dates, events=timeline),
                "status_certain": status_certain(
                    day,
                    **{name: (row[name], row[f"{name}_precision"]) for name in dates},
                    events=[(d, t, precision) for d, precision, t, *_ in events[pk]],
                ),
                "summary": row["summary"],
                **{
                    field: value
                    for name in MEASURE_DATE_FIELDS
                    for field, value in (
                        (name, partial_date_text(row[name], row[f"{name}_precision"])),
                        (f"{name}_precision", row[f"{name}_precision"]),
                    )
                },
                "target_jurisdictions": [code for (code,) in targets[pk]],
                "materials": [
                    {"material": slug, "name": name, "scope": scope}
                    for slug, name, scope in materials[pk]
                ],
                "sectors": [slug for (slug,) in sectors[pk]],
                "events": [
                    {
                        "date": partial_date_text(date, precision),
                        "date_precision": precision,
                        "type": type_,
                        "note": note,
                        "source_url": url or None,
                        "scheduled": scheduled,
                    }
                    for date, precision, type_, note, url, scheduled in events[pk]
                ],
                "related": [
                    {"measure": key, "relation": relation} for key, relation in related[pk]
                ],
                "sources": [
                    {"url": url, "title": title, "publisher": publisher, "published_on": _date(day)}
                    for url, title, publisher, day in sources[pk]
                ],
                "confidence": row["confidence"],
                "notes": row["notes"],
                "created_at": _datetime(row["created_at"]),
                "updated_at": _datetime(row["updated_at"]),
            }
        )
    return page


def event_page(rows: list[dict], request) -> list[dict]:
    """The TimelineEventSerializer representation of a page of ``EVENT_ROW_FIELDS`` rows."""
    prefix = measure_url_prefix(request)
    return [
        {
            "date": partial_date_text(row["date"], row["date_precision"]),
            "date_precision": row["date_precision"],
            "type": row["type"],
            "note": row["note"],
            "source_url": row["source_url"] or None,
            "scheduled": row["scheduled"],
            "derived": row["derived"],
            "measure": {
                "key": row["measure__key"],
                "title": row["measure__title"],
                "url": f"{prefix}{row['measure__key']}/",
            },
        }
        for row in rows
    ]


def as_rows(queryset: QuerySet, fields: tuple[str, ...]) -> QuerySet:
    """The same rows, same filters and order, as plain dicts (prefetches dropped)."""
    return queryset.prefetch_related(None).values(*fields)
