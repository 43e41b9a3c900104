"""Conditional requests (RFC 9110 section 13): strong ETags on detail responses and list
pages, If-None-Match (304) on reads and If-Match (412 on a stale version) on writes, checked
and written under one row lock."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from .exceptions import PreconditionFailed

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
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 304],
    description="Strong validator of this representation, for If-None-Match (and, on a "
    "detail, If-Match).",
)


def etag_for(data) -> str:
    """A strong validator: changes whenever any byte of the representation would."""
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()
    return f'"{digest[:40]}"'


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


def conditional_response(request, data, headers: dict[str, str]) -> Response:
    """``data`` with its validators, or 304 Not Modified (no body, the same validators) when
    If-None-Match names its ETag (RFC 9110 section 13.1.2)."""
    held = request.headers.get("If-None-Match")
    if held and etag_matches(held, headers["ETag"]):
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
        if updated_at is not None:
            headers["Last-Modified"] = http_date(updated_at.timestamp())
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
        wanted = request.headers.get("If-Match")
        if not wanted or wanted.strip() == "*":
            return
        current = etag_for(self.representation(instance))
        if not etag_matches_strongly(wanted, current):
            raise PreconditionFailed(
                f"The resource changed since that version; its current ETag is {current}. "
                "Read it again and reapply your change."
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
