"""The view-level read cache: a list page or a measure's representation, as data, kept until
the timeline changes (every write bumps its version, in the write's own transaction) or the
day turns (statuses are for today).

How it differs from ``response_cache.py``: that one sits in front of Django and keeps whole
anonymous answers as bytes; this one sits inside the views and serves the requests that one
does not keep (token and session clients, writes checking If-Match). Both key on the
timeline's version and the day, through ``timeline_cache_key``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import orjson
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from timeline.versioning import current_version

T = TypeVar("T")
# Set (by ``response_cache.SharedResponseCache``) in the environ of a request whose whole
# answer the shared response cache will keep, if its view allows.
KEPT_HERE = "regwatch.shared_response_cache"


def timeline_cache_key(*parts: object) -> str:
    """A cache key for something computed from the timeline as it is today. ``parts`` are
    written as a JSON list (others than JSON's types as their ``str``), so each keeps its
    bounds: None is not "" or "None", and a part holding "|" cannot pass for two."""
    identity = orjson.dumps([current_version(), timezone.localdate(), *parts], default=str)
    return "read:" + hashlib.sha256(identity).hexdigest()


def read_cache_key(request, *parts: object) -> str | None:
    """The key of a read cached for ``REGWATCH_READ_CACHE_SECONDS``; None with that off, and
    for a request whose whole answer the shared response cache keeps (keeping its data here
    too won nothing, and pickling a page of measures cost every first request a tenth)."""
    if not settings.REGWATCH_READ_CACHE_SECONDS or request.META.get(KEPT_HERE):
        return None
    return timeline_cache_key(
        request.scheme,  # addresses in the answer are built with it
        request.get_host(),
        request.get_full_path(),
        getattr(request, "accepted_media_type", ""),
        *parts,
    )


def cached_read(request, parts: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, kept while nothing in the timeline has changed (and read caching is on)."""
    key = read_cache_key(request, *parts)
    if key is None:
        return compute()
    return cache.get_or_set(key, compute, settings.REGWATCH_READ_CACHE_SECONDS)
