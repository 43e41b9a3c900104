"""``?as_known_on=<RFC 3339 moment>`` on the measures list, a measure and its timeline: the
answer as the database stood at that moment. The rule is ``timeline/as_known.py``; this module
reads the parameter, asks the question the filters ask, and writes the answer in the shapes
``api/pages.py`` writes today's (a test holds the two equal for an unchanged measure).

Statuses are given for the day of the moment (UTC), as an answer given then showed them (or,
on the list, for the ``as_of``/``in_force_on`` day asked about), so an answer about a settled
moment never changes: it is kept in the cache without the timeline's
version and sent with ``Cache-Control: max-age=…, immutable`` beside its strong ETag."""

from __future__ import annotations

import datetime
import hashlib

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.response import Response

from timeline import as_known
from timeline.models import MEASURE_DATE_FIELDS, Material
from timeline.precision import partial_date_text
from timeline.representation.store import moment_text

from .caching import cached_read
from .conditional import conditional_response, etag_for
from .pages import measure_url_prefix
from .parameters import RFC3339Field, in_utc

NAME = "as_known_on"
DESCRIPTION = (
    "Answer as the database stood at this moment (RFC 3339 with an offset; write `+` as %2B), "
    "rebuilt from the history: a measure created later is absent, one deleted later is "
    "present, a later edit is not applied. Statuses are those of that moment's day (UTC) "
    "unless `as_of`/`in_force_on` asks about another day, as known then. Not in the future."
)
PARAMETER = OpenApiParameter(
    NAME, OpenApiTypes.DATETIME, OpenApiParameter.QUERY, description=DESCRIPTION
)
# Why a moment is refused (RFC3339Field's reasons, and one of ours).
ERROR_CODES = ["invalid", "plus_as_space", "no_such_moment", "future_moment", "json_only"]
# An answer about a settled moment never changes; caches may keep it this long.
SETTLED_MAX_AGE = 86_400


def requested_moment(request) -> datetime.datetime | None:
    """The moment asked for, in UTC, or None when not asked; a 400 naming the parameter for
    a malformed moment or one in the future."""
    raw = request.query_params.get(NAME)
    if raw is None:
        return None
    try:
        moment = RFC3339Field().clean(raw)
    except forms.ValidationError as error:
        details = [ErrorDetail(message, code=item.code) for item in error.error_list
                   for message in item.messages]  # fmt: skip
        raise ValidationError({NAME: details}) from None
    utc = in_utc(moment)
    if utc is None and moment.utcoffset() > datetime.timedelta(0):
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)  # before anything was known
    if utc is None or utc > timezone.now():
        raise ValidationError(
            {
                NAME: [
                    ErrorDetail(
                        "Give a moment that has passed: the future is not known yet.",
                        code="future_moment",
                    )
                ]
            }
        )
    return utc


# Filters that read today's group graph (which materials a group holds): their answers can
# change after the moment, so they are cached like today's answers, never as immutable.
READS_TODAY = ("material", "material_category")


def known_read(request, moment: datetime.datetime, parts: tuple, compute):
    """``compute()`` kept in the cache: for good (well, ``SETTLED_MAX_AGE``) once the moment
    is settled and the answer rests on the history alone, else like any read, until the
    timeline changes. Returns (answer, settled)."""
    reads_today = any(name in request.query_params for name in READS_TODAY)
    if reads_today or not as_known.is_settled(moment):
        return cached_read(request, parts, compute), False
    if not settings.REGWATCH_READ_CACHE_SECONDS:
        return compute(), True
    identity = "|".join(
        str(part)
        for part in (
            request.get_host(),
            request.get_full_path(),
            getattr(request, "accepted_media_type", ""),
            *parts,
        )
    )
    key = "as-known:" + hashlib.sha256(identity.encode()).hexdigest()
    return cache.get_or_set(key, compute, SETTLED_MAX_AGE), True


def respond(request, data, etag: str, settled: bool) -> Response:
    response = conditional_response(request, data, {"ETag": etag})
    if settled:
        response["Cache-Control"] = f"max-age={SETTLED_MAX_AGE}, immutable"
    return response


def measure_representation(known: as_known.KnownMeasure, request, day: datetime.date) -> dict:
    """The measure's representation (``pages.measure_page``'s shape) from a known version."""
    prefix = measure_url_prefix(request)
    materials = sorted(
        known.part("materials"),
        key=lambda link: (known.material_names.get(link["material"], link["material"]),),
    )
    sectors = sorted(known.part("sectors"), key=lambda slug: known.sector_names.get(slug, slug))
    related = sorted(known.part("related"), key=lambda item: (item["relation"], item["measure"]))
    representation = {
        "key": known.key,
        "url": f"{prefix}{known.key}/",
        "title": known.title,
        "reference": known.reference,
        "jurisdiction": known.jurisdiction,
        "authorities": list(known.part("authorities")),
        "measure_type": known.measure_type,
        "status": known.status_on(day),
        "status_confirmed": known.status_confirmed_on(day),
        "status_certain": known.status_certain_on(day),
        "summary": known.summary,
        **{
            field: value
            for name in MEASURE_DATE_FIELDS
            for date, precision in [known.partial_date(name)]
            for field, value in (
                (name, partial_date_text(date, precision)),
                (f"{name}_precision", precision),
            )
        },
        "target_jurisdictions": list(known.part("target_jurisdictions")),
        "materials": [
            {
                "material": link["material"],
                "name": known.material_names.get(link["material"], link["material"]),
                "scope": link["scope"],
            }
            for link in materials
        ],
        "sectors": sectors,
        "events": [
            {
                "date": partial_date_text(event.date, event.precision),
                "date_precision": event.precision,
                "type": event.type,
                "note": event.note,
                "source_url": event.source_url or None,
                "scheduled": event.scheduled,
            }
            for event in known.events()
        ],
        "related": [{"measure": item["measure"], "relation": item["relation"]} for item in related],
        "sources": [
            {
                "url": source["url"],
                "title": source["title"],
                "publisher": source["publisher"],
                "published_on": source["published_on"],
            }
            for source in known.part("sources")
        ],
        "confidence": known.confidence,
        "notes": known.notes,
        "created_at": moment_text(known.created_at),
        "updated_at": moment_text(known.updated_at),
    }
    if representation["status"] is not None:
        representation["status"] = str(representation["status"])
    return representation


def question_from(cleaned: dict, moment: datetime.datetime) -> as_known.Question:
    """The measures list's validated filters as a question about the known measures."""

    def keys(name: str, attribute: str) -> frozenset[str]:
        return frozenset(getattr(item, attribute) for item in cleaned.get(name) or ())

    material_sets = []
    if cleaned.get("material"):
        material_sets.append(as_known.material_slugs_matching(cleaned["material"]))
    if cleaned.get("material_category"):
        wanted = Material.objects.filter(category__in=cleaned["material_category"])
        material_sets.append(as_known.material_slugs_matching(wanted))
    since = cleaned.get("updated_since")
    return as_known.Question(
        jurisdictions=keys("jurisdiction", "code"),
        authorities=keys("authority", "slug"),
        measure_types=frozenset(cleaned.get("measure_type") or ()),
        targets=keys("target", "code"),
        sectors=keys("sector", "slug"),
        material_sets=tuple(material_sets),
        statuses=frozenset(cleaned.get("status") or ()),
        status_day=cleaned.get("as_of") or moment.date(),
        in_force_on=cleaned.get("in_force_on"),
        announced_after=cleaned.get("announced_after"),
        announced_before=cleaned.get("announced_before"),
        effective_after=cleaned.get("effective_after"),
        effective_before=cleaned.get("effective_before"),
        updated_since=in_utc(since) if since is not None else None,
        updated_since_past_everything=(
            since is not None
            and in_utc(since) is None
            and since.utcoffset() < datetime.timedelta(0)
        ),
        text=cleaned.get("q"),
        ordering=tuple(cleaned.get("ordering") or ()),
    )


def cleaned_filters(view, request) -> dict:
    """The list's filters, validated as for today's answers (a 400 names a bad one)."""
    from django_filters import utils

    backend = view.filter_backends[0]()
    model = view.filterset_class._meta.model  # not get_queryset(): it may 404 on a key gone since
    filterset = backend.get_filterset(request, model.objects.none(), view)
    if not filterset.is_valid():
        raise utils.translate_validation(filterset.errors)
    return filterset.form.cleaned_data


def refuse_what_is_not_rebuilt(request) -> None:
    """An answer as known is rebuilt page by page as JSON: an export format or facets over
    a past moment are refused by name rather than answered as something else."""
    from .exports.base import ExportRenderer

    asked = []
    if isinstance(getattr(request, "accepted_renderer", None), ExportRenderer):
        asked.append(f"format={request.accepted_renderer.format}")
    if "facets" in request.query_params:
        asked.append("facets")
    if asked:
        raise ValidationError(
            {
                NAME: [
                    ErrorDetail(
                        f"An answer as known on a moment is JSON pages only; {' and '.join(asked)} "
                        "cannot be combined with it.",
                        code="json_only",
                    )
                ]
            }
        )


def measure_list(view, request, moment: datetime.datetime) -> Response:
    refuse_what_is_not_rebuilt(request)

    def page() -> tuple[dict, str]:
        cleaned = cleaned_filters(view, request)
        found = as_known.answer(moment, question_from(cleaned, moment))
        chosen = as_known.complete(view.paginate_queryset(found), moment)
        # Statuses on the day asked about, as today's list shows them, else the moment's day.
        day = cleaned.get("as_of") or cleaned.get("in_force_on") or moment.date()
        rows = [measure_representation(known, request, day) for known in chosen]
        data = view.get_paginated_response(rows).data
        return data, etag_for(data)

    (data, etag), settled = known_read(request, moment, ("as-known-list",), page)
    return respond(request, data, etag, settled)


def known_measure(key: str, moment: datetime.datetime) -> as_known.KnownMeasure:
    known = as_known.measure_known_on(key, moment)
    if known is None:
        raise NotFound(f"No measure with the key {key} was known at {moment_text(moment)}.")
    return known


def measure_detail(request, key: str, moment: datetime.datetime) -> Response:
    def compute() -> tuple[dict, str]:
        data = measure_representation(known_measure(key, moment), request, moment.date())
        return data, etag_for(data)

    (data, etag), settled = known_read(request, moment, ("as-known-measure", key), compute)
    return respond(request, data, etag, settled)


def measure_timeline(view, request, key: str, moment: datetime.datetime) -> Response:
    """The timeline of a known measure, with the events filters (``EventFilterSet``)."""
    refuse_what_is_not_rebuilt(request)

    def page() -> tuple[dict, str]:
        known = known_measure(key, moment)
        cleaned = cleaned_filters(view, request)
        entries = as_known.timeline_entries(
            known,
            after=cleaned.get("date_after"),
            before=cleaned.get("date_before"),
            types=frozenset(cleaned.get("type") or ()),
            descending=list(cleaned.get("ordering") or ()) == ["-date"],
        )
        wanted = as_known.Question(
            jurisdictions=frozenset(item.code for item in cleaned.get("jurisdiction") or ()),
            material_sets=(
                (as_known.material_slugs_matching(cleaned["material"]),)
                if cleaned.get("material")
                else ()
            ),
        )
        measures = {item.key for item in cleaned.get("measure") or ()}
        if not wanted.matches(known) or (measures and key not in measures):
            entries = []
        prefix = measure_url_prefix(request)
        shown = view.paginate_queryset(entries)
        rows = [
            {
                "date": partial_date_text(entry.date, entry.precision),
                "date_precision": entry.precision,
                "type": entry.type,
                "note": entry.note,
                "source_url": entry.source_url or None,
                "scheduled": entry.scheduled,
                "derived": entry.derived,
                "measure": {"key": known.key, "title": known.title, "url": f"{prefix}{key}/"},
            }
            for entry in shown
        ]
        data = view.get_paginated_response(rows).data
        return data, etag_for(data)

    (data, etag), settled = known_read(request, moment, ("as-known-timeline", key), page)
    return respond(request, data, etag, settled)
