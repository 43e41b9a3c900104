"""Read caching: a response, a list page or a measure's representation is kept until the
timeline changes (every write bumps its version, in the write's own transaction) or the day
turns (statuses are for today)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from timeline.versioning import current_version

from .conditional import etag_matches

# Headers a 304 repeats from the response it stands for.
NOT_MODIFIED_HEADERS = ("ETag", "Last-Modified", "Vary", "Cache-Control")


def read_cache_key(request, *parts: object) -> str | None:
    if not settings.REGWATCH_READ_CACHE_SECONDS:
        return None
    identity = "|".join(
        str(part)
        for part in (
            current_version(),
            timezone.localdate(),
            request.get_host(),
            request.get_full_path(),
            getattr(request, "accepted_media_type", ""),
            *parts,
        )
    )
    return "read:" + hashlib.sha256(identity.encode()).hexdigest()


def cached_list(request, build) -> Response:
    """A list page from the cache while nothing in the timeline has changed, else ``build()``."""
    key = read_cache_key(request, "list")
    if key is not None:
        cached = cache.get(key)
        if cached is not None:
            return Response(cached)
    response = build()
    if key is not None and response.status_code == 200:
        cache.set(key, response.data, settings.REGWATCH_READ_CACHE_SECONDS)
    return response


class SharedReadMixin:
    """Marks a view's successful GET responses as the same for every anonymous client, so
    ReadCacheMiddleware may keep them. Only views showing nothing but the timeline use it."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            response.shared_read = True
        return response


def _anonymous_read(request) -> bool:
    return (
        request.method == "GET"
        and request.path.startswith("/api/")
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not settings.REGWATCH_API_REQUIRE_AUTH
    )


def _throttles_allow(request) -> bool:
    """The API's rate limits, counted for a cached answer as for a computed one."""
    anonymous = Request(request)
    verdicts = [
        throttle().allow_request(anonymous, None)
        for throttle in api_settings.DEFAULT_THROTTLE_CLASSES
    ]
    return all(verdicts)


class ReadCacheMiddleware:
    """Answers an anonymous API read with the bytes computed for the same address, Accept
    header and timeline version, skipping the view; writes and signed-in clients pass
    through. A throttled client also passes through, to get the API's own 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = (
            read_cache_key(request, "response", request.META.get("HTTP_ACCEPT", ""))
            if _anonymous_read(request)
            else None
        )
        if key is None:
            return self.get_response(request)
        entry = cache.get(key)
        if entry is not None and _throttles_allow(request):
            return self._replay(request, *entry)
        response = self.get_response(request)
        if (
            getattr(response, "shared_read", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            entry = (list(response.items()), response.content)
            cache.set(key, entry, settings.REGWATCH_READ_CACHE_SECONDS)
        return response

    @staticmethod
    def _replay(request, headers: list[tuple[str, str]], content: bytes) -> HttpResponse:
        response = HttpResponse(content, headers=dict(headers))
        etag = response.headers.get("ETag")
        held = request.META.get("HTTP_IF_NONE_MATCH")
        if etag and held and etag_matches(held, etag):
            not_modified = HttpResponseNotModified()
            for name in NOT_MODIFIED_HEADERS:
                if name in response.headers:
                    not_modified[name] = response.headers[name]
            return not_modified
        return response
