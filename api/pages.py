"""List pages built from plain rows. A page of 50 measures through model instances, prefetches
and nested serializers costs thousands of queryset clones and field lookups; these build the
same JSON (tests hold them equal to the serializers): measures from their stored
representations (``timeline.representation``), events from one values() query."""

from __future__ import annotations

import datetime
import functools

import orjson
from django.conf import settings
from django.db.models import QuerySet
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from timeline.precision import partial_date_text
from timeline.representation import store as representation

from .renderers import ORJSONRenderer


@functools.lru_cache(maxsize=16)
def _measure_list_path(urlconf: str, script_prefix: str) -> str:
    return reverse("api:measure-list", urlconf=urlconf)


def measure_url_prefix(request) -> str:
    """The absolute address of the measures list, which each measure's ``url`` extends (the
    path reversed once per URL configuration and script prefix: reversing it took a tenth of
    a detail's request)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return request.build_absolute_uri(_measure_list_path(urlconf, get_script_prefix()))


def measure_page(rows: list[dict], request, day: datetime.date | None = None) -> list[dict]:
    """The MeasureSerializer representation of a page of measures (``representation.rows_of_ids``
    rows), each stored representation completed with its address and its status on ``day``
    (default today)."""
    prefix = measure_url_prefix(request)
    day = day or timezone.localdate()
    page = []
    for row, (body, inputs) in zip(rows, representation.read(rows), strict=True):
        body["url"] = f"{prefix}{row['key']}/"
        body["status"], body["status_confirmed"], body["status_certain"] = (
            representation.status_on_day(inputs, day)
        )
        page.append(body)
    return page


def measure_fragments(
    rows: list[dict], request, day: datetime.date | None = None
) -> list[orjson.Fragment]:
    """``measure_page``'s measures as rendered JSON, one fragment each (orjson writes it into
    the page as it is): each current stored body filled in without being parsed
    (``representation.spliced``), the others through ``measure_page``."""
    prefix = measure_url_prefix(request)
    day = day or timezone.localdate()
    rendered: list[bytes | None] = []
    for row in rows:
        body = None
        if row["current"]:
            body = representation.spliced(
                row["body"],
                f"{prefix}{row['key']}/",
                representation.status_on_day(orjson.loads(row["status_inputs"]), day),
            )
        rendered.append(body)
    unspliced = [row for row, body in zip(rows, rendered, strict=True) if body is None]
    built = iter(measure_page(unspliced, request, day) if unspliced else ())
    renderer = ORJSONRenderer()
    return [
        orjson.Fragment(body if body is not None else renderer.render(next(built)))
        for body in rendered
    ]


def event_page(rows: list[dict], request) -> list[dict]:
    """The TimelineEventSerializer representation of a page of ``EVENT_ROW_FIELDS`` rows (each
    date a date or, as ``timeline.page_rows`` reads it on SQLite, its ISO text)."""
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
