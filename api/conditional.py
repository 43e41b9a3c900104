"""Conditional requests (RFC 9110 section 13): strong ETags on detail responses and list
pages, If-None-Match (304) on reads and If-Match (412 on a stale version) on writes, checked
and written under one row lock."""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from .exceptions import PreconditionFailed
from .renderers import ORJSONRenderer

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag of the version you last read; a stale one gets 412 and nothing changes. "
    "Compared strongly: a weak (W/) tag never matches. Optional: without it the write is "
    "accepted whatever the current version.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETag you hold; 304 Not Modified (no body) when it is still current. "
    "Compared weakly: W/ before the tag is ignored.",
)
IF_MODIFIED_SINCE = OpenApiParameter(
    "If-Modified-Since",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An HTTP date (the Last-Modified you hold): 304 when the resource has not "
    "changed since. Ignored when If-None-Match is sent, and where the answer has no "
    "Last-Modified (only measures carry one).",
)
IF_UNMODIFIED_SINCE = OpenApiParameter(
    "If-Unmodified-Since",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An HTTP date: 412 when the resource changed after it. Ignored when "
    "If-Match is sent, and for resources without a Last-Modified (only measures carry one).",
)
IF_NONE_MATCH_ON_WRITE = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="ETags (weak comparison) or *: 412 when one is current (* when the resource "
    "exists).",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="Strong validator of this representation, for If-None-Match (and, on a "
    "detail, If-Match).",
)


def etag_for(data) -> str:
    """A strong validator of ``data`` as the API sends it: ``etag_of_body`` of its JSON body
    (compact, as ``ORJSONRenderer`` renders it), so it changes whenever any byte would."""
    return etag_of_body(ORJSONRenderer().render(data))


def etag_of_body(body: bytes) -> str:
    """A strong validator of the response body ``body``: the first 40 hexadecimal digits of
    its SHA-256, quoted (RFC 9110 section 8.8.3)."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


@dataclass(frozen=True)
class _Day:
    """One day of a time zone: its first moment, the next day's, and the first as an HTTP
    date."""

    starts: datetime.datetime
    ends: datetime.datetime
    starts_text: str


# The current day of each time zone asked, so that a request compares the time with it rather
# than converting the time into the zone (a twentieth of a detail's CPU).
_current_days: dict[datetime.tzinfo, _Day] = {}


def _current_day() -> _Day:
    zone = timezone.get_current_timezone()
    now = timezone.now()
    day = _current_days.get(zone)
    if day is None or not day.starts <= now < day.ends:
        date = timezone.localtime(now, zone).date()
        starts = timezone.make_aware(datetime.datetime.combine(date, datetime.time()), zone)
        ends = timezone.make_aware(
            datetime.datetime.combine(date + datetime.timedelta(days=1), datetime.time()), zone
        )
        day = _current_days[zone] = _Day(starts, ends, http_date(starts.timestamp()))
    return day


def statuses_moved_at() -> datetime.datetime:
    """The start of today (the site's time zone): statuses are shown for today, so an answer
    holding one may change then without any write."""
    return _current_day().starts


def last_modified_with_status(updated_at: datetime.datetime) -> str:
    """``Last-Modified`` of a representation showing a status for today: the later of the
    resource's last change and ``statuses_moved_at``, so a client revalidating by date after
    midnight is not told its copy, with yesterday's status, is current."""
    day = _current_day()
    return http_date(updated_at.timestamp()) if updated_at > day.starts else day.starts_text


def _opaque_tag(etag: str) -> str:
    return etag.removeprefix("W/")


def etag_matches(held: str, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (or is ``*``), by the weak comparison
    (RFC 9110 section 13.1.2): ``W/"x"`` matches ``"x"``, as proxies that compress a
    response mark its tag weak."""
    if held.strip() == "*":
        return True
    return _opaque_tag(etag) in {_opaque_tag(tag) for tag in parse_etags(held)}


def etag_matches_strongly(wanted: str, etag: str) -> bool:
    """Whether an If-Match header names ``etag`` (or is ``*``), by the strong comparison
    (RFC 9110 section 13.1.1): a weak tag never matches, since a write needs the exact
    representation the client read."""
    if wanted.strip() == "*":
        return True
    return not etag.startswith("W/") and etag in parse_etags(wanted)


def not_modified(
    if_none_match: str | None,
    if_modified_since: str | None,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """Whether a GET is answered 304 (RFC 9110 section 13.2.2): If-None-Match names the ETag
    (weak comparison); or, without If-None-Match, the resource has not changed since
    If-Modified-Since (an unreadable date is ignored, as section 13.1.3 says)."""
    if if_none_match:
        return bool(etag) and etag_matches(if_none_match, etag)
    since = parse_http_date_safe(if_modified_since) if if_modified_since else None
    modified = parse_http_date_safe(last_modified) if last_modified else None
    return since is not None and modified is not None and modified <= since


def conditional_response(request, data, headers: dict[str, str]) -> Response:
    """``data`` with its validators, or 304 Not Modified (no body, the same validators) when
    the client's copy is current (``not_modified``)."""
    if not_modified(
        request.headers.get("If-None-Match"),
        request.headers.get("If-Modified-Since"),
        headers.get("ETag"),
        headers.get("Last-Modified"),
    ):
        return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(data, headers=headers)


class ConditionalListMixin:
    """List pages carry a strong ETag computed from their body, like details, and answer
    If-None-Match with 304: a client polling a feed downloads it only when it changed."""

    def list(self, request, *args, **kwargs):
        data, etag = self.page_and_etag(request, *args, **kwargs)
        return conditional_response(request, data, {"ETag": etag})

    def page_and_etag(self, request, *args, **kwargs) -> tuple[dict, str]:
        data = super().list(request, *args, **kwargs).data
        return data, etag_for(data)


class ConditionalRequestsMixin(ConditionalListMixin):
    def _validators(self, instance, data) -> dict[str, str]:
        headers = {"ETag": etag_for(data)}
        updated_at = getattr(instance, "updated_at", None)
        if updated_at is not None:  # only measures carry one, and they show today's status
            headers["Last-Modified"] = last_modified_with_status(updated_at)
        return headers

    def representation(self, instance) -> dict:
        """What GET shows of ``instance`` (and what its ETag is computed from)."""
        return self.get_serializer(instance).data

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.representation(instance)
        return conditional_response(request, data, self._validators(instance, data))

    def _locked_object(self):
        """The object under a row lock (PostgreSQL; SQLite's immediate transactions already
        serialise writers), so If-Match and the write see the same version."""
        queryset = self.get_queryset().select_for_update(of=("self",))
        lookup = {self.lookup_field: self.kwargs[self.lookup_url_kwarg or self.lookup_field]}
        instance = get_object_or_404(queryset, **lookup)
        self.check_object_permissions(self.request, instance)
        return instance

    def _check_if_match(self, request, instance) -> None:
        """The preconditions of a write, in RFC 9110 section 13.2.2's order: If-Match (strong
        comparison), else If-Unmodified-Since; then If-None-Match, which a write meets only
        when no tag it names is current (``*``: the resource exists, so never)."""
        wanted = request.headers.get("If-Match")
        unmodified_since = request.headers.get("If-Unmodified-Since")
        unwanted = request.headers.get("If-None-Match")
        if not (wanted or unmodified_since or unwanted):
            return
        current = etag_for(self.representation(instance))
        if wanted:
            if not etag_matches_strongly(wanted, current):
                raise PreconditionFailed(
                    f"The resource changed since that version; its current ETag is {current}. "
                    "Read it again and reapply your change."
                )
        elif unmodified_since:
            since = parse_http_date_safe(unmodified_since)
            updated_at = getattr(instance, "updated_at", None)
            if since is not None and updated_at is not None and int(updated_at.timestamp()) > since:
                raise PreconditionFailed(
                    f"The resource changed after {unmodified_since}; its current ETag is "
                    f"{current}. Read it again and reapply your change."
                )
        if unwanted and etag_matches(unwanted, current):
            raise PreconditionFailed(
                "If-None-Match names the resource's current version (or is *, and the resource "
                "exists), so the write was not made."
            )

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self._locked_object()
            # A malformed body is malformed whatever version it was meant for: 400 before 412.
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self._check_if_match(request, instance)
            self.perform_update(serializer)
        fresh = self.get_object()
        data = self.representation(fresh)
        return Response(data, headers=self._validators(fresh, data))

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self._locked_object()
            self._check_if_match(request, instance)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
