"""List pages built from plain rows. A page of 50 measures through model instances, prefetches
and nested serializers costs thousands of queryset clones and field lookups; these build the
same JSON (tests hold them equal to the serializers) from one values() query per relation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from timeline.models import Measure, MeasureEvent, MeasureMaterial, MeasureRelation, MeasureSource
from timeline.status import status_confirmed, status_on

MEASURE_ROW_FIELDS = (
    "id", "key", "title", "reference", "jurisdiction__code", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "confidence", "notes", "created_at", "updated_at",
)  # fmt: skip
EVENT_ROW_FIELDS = (
    "date",
    "type",
    "note",
    "source_url",
    "scheduled",
    "derived",
    "measure__key",
    "measure__title",
)


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _grouped(rows: Iterable[tuple]) -> dict[int, list[tuple]]:
    groups: dict[int, list[tuple]] = defaultdict(list)
    for owner, *rest in rows:
        groups[owner].append(tuple(rest))
    return groups


def measure_url_prefix(request) -> str:
    return request.build_absolute_uri(reverse("api:measure-list"))


def measure_page(rows: list[dict], request) -> list[dict]:
    """The MeasureSerializer representation of a page of ``MEASURE_ROW_FIELDS`` rows."""
    ids = [row["id"] for row in rows]
    through = Measure.authorities.through.objects.filter(measure_id__in=ids)
    authorities = _grouped(
        through.order_by("authority__slug").values_list("measure_id", "authority__slug")
    )
    through = Measure.target_jurisdictions.through.objects.filter(measure_id__in=ids)
    targets = _grouped(
        through.order_by("jurisdiction__code").values_list("measure_id", "jurisdiction__code")
    )
    through = Measure.sectors.through.objects.filter(measure_id__in=ids)
    sectors = _grouped(through.order_by("sector__name").values_list("measure_id", "sector__slug"))
    materials = _grouped(
        MeasureMaterial.objects.filter(measure_id__in=ids)
        .order_by("material__name")
        .values_list("measure_id", "material__slug", "material__name", "scope")
    )
    events = _grouped(
        MeasureEvent.objects.filter(measure_id__in=ids, derived=False)
        .order_by("date", "type", "id")
        .values_list("measure_id", "date", "type", "note", "source_url", "scheduled")
    )
    sources = _grouped(
        MeasureSource.objects.filter(measure_id__in=ids)
        .order_by("id")
        .values_list("measure_id", "url", "title", "publisher", "published_on")
    )
    related = _grouped(
        MeasureRelation.objects.filter(from_measure_id__in=ids)
        .order_by("relation", "to_measure__key")
        .values_list("from_measure_id", "to_measure__key", "relation")
    )
    prefix = measure_url_prefix(request)
    today = timezone.localdate()
    page = []
    for row in rows:
        pk = row["id"]
        # The status today, by the rule in timeline/status.py over the row's dates and recorded
        # events (derived events only repeat the dates), as MeasureQuerySet.with_status says
        # it in SQL; computed here it costs no per-row subqueries in the page's query.
        dates = {name: row[name] for name in ("announced_on", "effective_on", "ends_on")}
        timeline = [(date, type_, scheduled) for date, type_, _, _, scheduled in events[pk]]
        status = status_on(today, **dates, events=[(date, type_) for date, type_, _ in timeline])
        page.append(
            {
                "key": row["key"],
                "url": f"{prefix}{row['key']}/",
                "title": row["title"],
                "reference": row["reference"],
                "jurisdiction": row["jurisdiction__code"],
                "authorities": [slug for (slug,) in authorities[pk]],
                "measure_type": row["measure_type"],
                "status": status,
                "status_confirmed": status_confirmed(today, **dates, events=timeline),
                "summary": row["summary"],
                "announced_on": _date(row["announced_on"]),
                "effective_on": _date(row["effective_on"]),
                "ends_on": _date(row["ends_on"]),
                "target_jurisdictions": [code for (code,) in targets[pk]],
                "materials": [
                    {"material": slug, "name": name, "scope": scope}
                    for slug, name, scope in materials[pk]
                ],
                "sectors": [slug for (slug,) in sectors[pk]],
                "events": [
                    {
                        "date": _date(date),
                        "type": type_,
                        "note": note,
                        "source_url": url or None,
                        "scheduled": scheduled,
                    }
                    for date, type_, note, url, scheduled in events[pk]
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
            "date": _date(row["date"]),
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
