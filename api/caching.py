"""Read caching: a list page or a measure's representation is kept until the timeline changes
(every write bumps its version, in the write's own transaction) or the day turns (statuses
are for today)."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from rest_framework.response import Response

from timeline.versioning import current_version


def timeline_cache_key(*parts: object) -> str:
    """A cache key for something computed from the timeline as it is today."""
    identity = "|".join(str(part) for part in (current_version(), timezone.localdate(), *parts))
    return "read:" + hashlib.sha256(identity.encode()).hexdigest()


def read_cache_key(request, *parts: object) -> str | None:
    """The key of a read cached for ``REGWATCH_READ_CACHE_SECONDS``; None with that off."""
    if not settings.REGWATCH_READ_CACHE_SECONDS:
        return None
    return timeline_cache_key(
        request.get_host(),
        request.get_full_path(),
        getattr(request, "accepted_media_type", ""),
        *parts,
    )


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
