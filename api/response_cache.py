"""The shared response cache, in front of Django: an anonymous GET of the API is answered with
the bytes Django produced for the same request, while the timeline's version and the day are
unchanged. A hit costs one SQL statement and one cache read; a miss goes through Django as
usual and, when the view allows it, leaves its answer for the next client. (The cache inside
the views, ``caching.py``, serves what this one does not keep: signed-in clients.)"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIRequest
from django.db import DatabaseError
from rest_framework.request import Request
from rest_framework.settings import api_settings

from ops.metrics import SHARED_CACHE_ANSWERS

from .caching import KEPT_HERE, timeline_cache_key
from .conditional import not_modified

# What of the request may change Django's answer to an anonymous GET: the address, how it was
# reached (HTTPS, proxies, host), the media type asked for and, for CORS, the origin.
KEY_ENVIRON = (
    "wsgi.url_scheme",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT",
    "HTTP_ORIGIN",
)
NOT_MODIFIED_DROPS = {"content-length", "content-type"}


class SharedReadMixin:
    """Marks a view's successful GET responses as the same for every anonymous client, so the
    shared response cache may keep them. Only views showing nothing but the timeline use it.
    An answer computed for an authenticated user is never marked, whatever the request looked
    like to ``response_cache_key``: the authenticators, not that guess, say who is asking."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            request.method == "GET"
            and response.status_code == 200
            and not request.user.is_authenticated
        ):
            response.shared_read = True
        return response


def anonymous_bodiless_get(environ: dict) -> bool:
    """Whether the request is a GET with no body, no Authorization header and no cookies, where
    the API lets anonymous clients read. Cookies are read by Django's middleware (the session,
    messages, and CSRF, which renews a malformed token's cookie in the answer), so a request
    carrying any goes to Django. What the authenticators make of it is still theirs to say
    (see ``SharedReadMixin``)."""
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and "HTTP_AUTHORIZATION" not in environ
        and not environ.get("HTTP_COOKIE")
        and environ.get("CONTENT_LENGTH") in (None, "", "0")
        and not settings.REGWATCH_API_REQUIRE_AUTH
    )


def response_cache_key(environ: dict) -> str | None:
    """The key of an anonymous, bodiless API GET; None for anything else."""
    if (
        not settings.REGWATCH_READ_CACHE_SECONDS
        or not environ.get("PATH_INFO", "").startswith("/api/")
        or not anonymous_bodiless_get(environ)
    ):
        return None
    try:
        # A header sent empty is not one left out (an empty Accept accepts nothing: 406).
        return timeline_cache_key("response", *(environ.get(name) for name in KEY_ENVIRON))
    except DatabaseError:
        return None  # Django's own handling closes the broken connection and answers


def throttles_allow(environ: dict) -> bool:
    """The API's rate limits, counted for a cached answer as for a computed one."""
    throttles = [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]
    if all(throttle.rate is None for throttle in throttles):
        return True
    request = Request(WSGIRequest(environ))
    verdicts = [throttle.allow_request(request, None) for throttle in throttles]
    return all(verdicts)


class SharedResponseCache:
    """WSGI middleware around Django. A throttled client passes through, to get the API's 429;
    so does every request a view did not mark as shared."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        key = response_cache_key(environ)
        if key is None:
            return self.application(environ, start_response)
        entry = cache.get(key)
        if entry is not None and throttles_allow(environ):
            return replay(environ, start_response, *entry)
        sent: dict = {}
        environ[KEPT_HERE] = True

        def recording_start_response(status, headers, *exc_info):
            sent.update(status=status, headers=headers)
            return start_response(status, headers, *exc_info)

        response = self.application(environ, recording_start_response)
        if (
            getattr(response, "shared_read", False)
            and sent.get("status", "").startswith("200 ")
            and not getattr(response, "streaming", True)
            and not any(name.lower() == "set-cookie" for name, _ in sent["headers"])
        ):
            entry = (list(sent["headers"]), response.content)
            cache.set(key, entry, settings.REGWATCH_READ_CACHE_SECONDS)
        return response


def replay(environ, start_response, headers: list[tuple[str, str]], content: bytes):
    validators = {name.lower(): value for name, value in headers}
    if not_modified(
        environ.get("HTTP_IF_NONE_MATCH"),
        environ.get("HTTP_IF_MODIFIED_SINCE"),
        validators.get("etag"),
        validators.get("last-modified"),
    ):
        SHARED_CACHE_ANSWERS.labels("not_modified").inc()
        start_response(
            "304 Not Modified",
            [(name, value) for name, value in headers if name.lower() not in NOT_MODIFIED_DROPS],
        )
        return []
    SHARED_CACHE_ANSWERS.labels("hit").inc()
    start_response("200 OK", headers)
    return [content]
