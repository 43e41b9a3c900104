"""Direct reads: the API's four most asked questions, answered in front of Django's middleware
and DRF's views when asked in their plain form by an anonymous client.

The questions (``bench.traffic`` asks them):

- one measure: ``GET /api/v1/measures/{key}/``;
- the measures matching one material in force on a day: ``GET /api/v1/measures/?material=
  {slug}&in_force_on={YYYY-MM-DD}``;
- a material's timeline: ``GET /api/v1/materials/{slug}/timeline/``;
- events in a date range: ``GET /api/v1/events/?date_after=...&date_before=...`` (either or
  both);

each list with ``page`` and ``page_size`` or not. Answering one through the whole stack cost
1 to 3 ms of CPU, most of it in fifteen middleware, DRF's request, negotiation and filterset
machinery and the ORM's building of statements (``bench/cpu.md``). Here the same answer is
computed by the same domain functions (``timeline.page_rows``, ``timeline.representation``,
``timeline.counts``), built into the same JSON by the same page builders (``api.pages``),
paginated by the API's own paginator and shaped by the middleware that shape an answer to
such a request (security headers, CORS, ``Content-Length``, framing), taken from
``settings.MIDDLEWARE`` in their order. Tests hold every answer, body and headers, equal to
Django's (``tests/api/test_direct_reads.py``).

Everything else passes to Django unchanged: another method or address, a signed-in client
(``Authorization`` or a session cookie), any other cookie, a conditional request, a body,
``Accept`` other than JSON (or empty), any parameter outside the forms above or given twice,
an unknown material or measure, a page past the last, a throttled client, an address Django
would redirect or refuse. So every error keeps its one source, the API's own answer. Direct
answers are counted in the ``regwatch_direct_reads`` metric (django-prometheus does not see
them)."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.forms import ValidationError as FormValidationError
from django.http import HttpResponse
from django.urls import set_script_prefix
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from knox.auth import TokenAuthentication
from orjson import Fragment
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from ops.metrics import DIRECT_READS
from timeline import page_rows
from timeline.counts import (
    events_in_range_count,
    measures_in_force_count,
    timeline_event_count,
)
from timeline.representation import store as representation

from . import views
from .conditional import etag_of_body, last_modified_with_status
from .pages import event_page, measure_fragments
from .pagination import PageNumberPagination
from .parameters import ISO_DATE, ISODateField
from .renderers import ORJSONRenderer
from .response_cache import anonymous_bodiless_get, throttles_allow
from .throttling import COUNTED_IN_FRONT

logger = logging.getLogger(__name__)

# The middleware that change the answer to a plain anonymous GET of these addresses, run around
# a direct answer in the order settings.MIDDLEWARE gives them.
SHAPING = {
    "django.middleware.security.SecurityMiddleware",  # HTTPS redirect, security headers
    "corsheaders.middleware.CorsMiddleware",  # Vary: origin, CORS headers
    "api.middleware.CommonMiddleware",  # refused user agents, Content-Length
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # X-Frame-Options
}
# The middleware that do not: each leaves such a request and its answer as they are (a read
# needs no CSRF check, history user, login lockout or message; the session and the user are
# not read for a client without credentials; RequestGuardMiddleware refuses bodies, which a
# direct read has none of). A middleware in neither set turns direct reads off.
PASSED_BY = {
    "ops.middleware.OperationsMiddleware",  # only /healthz, /readyz and /metrics
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # only static files
    "api.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
}
SLUG = views.SLUG
DAY = ISO_DATE
DAY_FIELD = ISODateField()  # the API's own reading of a day, so both refuse the same ones
WHOLE = re.compile(r"[1-9][0-9]{0,5}")
# An empty Accept header accepts nothing: DRF answers it 406.
ACCEPTED = {None, "*/*", "application/json"}
# DRF marks each answer as depending on these (Accept: negotiation; Cookie: the session the
# authenticators read).
VARY = ("Accept", "Cookie")
PAGING = ("page", "page_size")
# The authenticators a request without an Authorization header and a session cookie cannot
# satisfy: knox's reads the header, DRF's session one the cookie.
KNOWN_AUTHENTICATION = {TokenAuthentication, SessionAuthentication}


class PassToDjango(Exception):
    """The request is not one this module answers: Django does."""


@dataclass(frozen=True)
class Route:
    operation: str
    path: re.Pattern
    parameters: dict[str, re.Pattern]  # each may be given once, in this form
    view: type  # the view Django routes the address to
    allow: str  # its Allow header
    answer: Callable[..., tuple[dict | Fragment, dict[str, str]]]  # data, headers but ETag

    def reads_only_known_credentials(self) -> bool:
        """Whether the view's authenticators are those a request without an Authorization
        header and a session cookie cannot satisfy (a test or a later change may add one)."""
        return all(cls in KNOWN_AUTHENTICATION for cls in self.view.authentication_classes)


def _is_day(text: str) -> bool:
    try:
        DAY_FIELD.to_python(text)
    except FormValidationError:
        return False  # 2025-02-30: the API's 400
    return True


def _day(text: str | None) -> datetime.date | None:
    return DAY_FIELD.to_python(text)


class _PageSource:
    """What the paginator pages through: a length and, for a slice, one statement's rows."""

    def __init__(self, count: Callable[[], int], rows: Callable[[int, int], list]):
        self._count, self._rows = count, rows

    def count(self) -> int:
        return self._count()

    def __getitem__(self, part: slice) -> list:
        return self._rows(part.start, part.stop - part.start)


def _page(request: WSGIRequest, source: _PageSource, build: Callable[[list], list]) -> dict:
    """The API's page (count, next, previous, results) of ``source``, by its paginator."""
    api_request = Request(request)
    paginator = PageNumberPagination()
    try:
        rows = paginator.paginate_queryset(source, api_request)
    except NotFound:
        raise PassToDjango from None  # a page past the last: the API's 404
    return paginator.get_paginated_response(build(list(rows))).data


def measure_detail(request: WSGIRequest, params: dict, key: str) -> tuple[Fragment, dict]:
    rows = representation.rows_of_key(key)
    if not rows:
        raise PassToDjango
    modified = last_modified_with_status(rows[0]["updated_at"])
    return measure_fragments(rows, request)[0], {"Last-Modified": modified}


def measures_in_force(request: WSGIRequest, params: dict) -> tuple[dict, dict]:
    day = _day(params["in_force_on"])
    material = page_rows.material_id(params["material"])
    if material is None:
        raise PassToDjango
    source = _PageSource(
        lambda: measures_in_force_count(material, day),
        lambda offset, limit: representation.rows_of_ids(
            page_rows.measure_ids_in_force(material, day, offset, limit)
        ),
    )
    return _page(request, source, lambda rows: measure_fragments(rows, request, day)), {}


def material_timeline(request: WSGIRequest, params: dict, slug: str) -> tuple[dict, dict]:
    material = page_rows.material_id(slug)
    if material is None:
        raise PassToDjango
    source = _PageSource(
        lambda: timeline_event_count(material),
        lambda offset, limit: page_rows.material_timeline(material, offset, limit),
    )
    return _page(request, source, lambda rows: event_page(rows, request)), {}


def events_range(request: WSGIRequest, params: dict) -> tuple[dict, dict]:
    after, before = _day(params.get("date_after")), _day(params.get("date_before"))
    source = _PageSource(
        lambda: events_in_range_count(after, before),
        lambda offset, limit: page_rows.events_in_range(after, before, offset, limit),
    )
    return _page(request, source, lambda rows: event_page(rows, request)), {}


PAGE_PARAMETERS = {name: WHOLE for name in PAGING}
ROUTES = (
    Route(
        "measure_detail",
        re.compile(rf"/api/v1/measures/(?P<key>{SLUG})/"),
        {},
        views.MeasureViewSet,
        "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
        measure_detail,
    ),
    Route(
        "measures_in_force",
        re.compile(r"/api/v1/measures/"),
        {"material": re.compile(SLUG), "in_force_on": DAY, **PAGE_PARAMETERS},
        views.MeasureViewSet,
        "GET, POST, HEAD, OPTIONS",
        measures_in_force,
    ),
    Route(
        "material_timeline",
        re.compile(rf"/api/v1/materials/(?P<slug>{SLUG})/timeline/"),
        PAGE_PARAMETERS,
        views.MaterialTimelineView,
        "GET, HEAD, OPTIONS",
        material_timeline,
    ),
    Route(
        "events_range",
        re.compile(r"/api/v1/events/"),
        {"date_after": DAY, "date_before": DAY, **PAGE_PARAMETERS},
        views.EventFeedView,
        "GET, HEAD, OPTIONS",
        events_range,
    ),
)
REQUIRED = {"measures_in_force": {"material", "in_force_on"}}


def _parameters(query: str, allowed: dict[str, re.Pattern]) -> dict[str, str] | None:
    """The query's parameters when each is allowed, given once, in its plain form (nothing
    percent-encoded) and valid (a day of the calendar, a page size the API takes); else None.
    What is refused here reaches Django before any rate limit is counted."""
    params: dict[str, str] = {}
    for part in query.split("&") if query else ():
        name, equals, value = part.partition("=")
        pattern = allowed.get(name)
        if not equals or pattern is None or name in params or not pattern.fullmatch(value):
            return None
        if pattern is DAY and not _is_day(value):
            return None
        if name == "page_size" and int(value) > PageNumberPagination.max_page_size:
            return None
        params[name] = value
    return params


def _plain_anonymous_get(environ: dict) -> bool:
    """An anonymous bodiless GET (as the shared response cache reads one: no cookies either)
    with no chunked body, no validators and JSON (or anything) accepted."""
    return (
        anonymous_bodiless_get(environ)
        and "HTTP_TRANSFER_ENCODING" not in environ
        and "HTTP_IF_NONE_MATCH" not in environ
        and "HTTP_IF_MODIFIED_SINCE" not in environ
        and environ.get("HTTP_ACCEPT") in ACCEPTED
        and not environ.get("SCRIPT_NAME")
    )


def question_of(environ: dict) -> tuple[Route, dict, dict] | None:
    """(route, parameters, address arguments) of a request answered here; None for others."""
    if not _plain_anonymous_get(environ):
        return None
    path = environ.get("PATH_INFO", "")
    for route in ROUTES:
        match = route.path.fullmatch(path)
        if match is None:
            continue
        params = _parameters(environ.get("QUERY_STRING", ""), route.parameters)
        if params is None or not REQUIRED.get(route.operation, set()) <= params.keys():
            return None
        if not route.reads_only_known_credentials():
            return None
        return route, params, match.groupdict()
    return None


def _shaping_middleware() -> list[type] | None:
    """The classes of ``SHAPING`` in ``settings.MIDDLEWARE``, outermost first; None when the
    settings name a middleware this module does not know (direct reads are then off)."""
    if any(name not in SHAPING | PASSED_BY for name in settings.MIDDLEWARE):
        return None
    return [import_string(name) for name in settings.MIDDLEWARE if name in SHAPING]


class DirectReads:
    """WSGI middleware in front of Django answering the questions above (see the module)."""

    def __init__(self, application):
        self.application = application
        shaping = _shaping_middleware() if settings.REGWATCH_DIRECT_READS else None
        self.enabled = shaping is not None
        handler = self.answer
        for middleware in reversed(shaping or []):
            handler = middleware(handler)
        self.handler = handler
        # Each operation's series made up front: it reads 0 before the first answer, and an
        # answer skips the labels lookup.
        self.counted = {route.operation: DIRECT_READS.labels(route.operation) for route in ROUTES}

    def __call__(self, environ, start_response):
        question = question_of(environ) if self.enabled else None
        if question is None or not throttles_allow(environ):
            return self.application(environ, start_response)
        environ[COUNTED_IN_FRONT] = True  # Django's throttles do not count it again
        response = self.direct_response(environ, question)
        if response is None:
            return self.application(environ, start_response)
        response._handler_class = self.__class__  # close() then ends the request as Django's
        self.counted[question[0].operation].inc()
        start_response(f"{response.status_code} {response.reason_phrase}", list(response.items()))
        return response

    def direct_response(self, environ: dict, question: tuple) -> HttpResponse | None:
        """The answer to ``question``, or None where Django answers it (see the module)."""
        set_script_prefix(get_script_name(environ))  # as Django's handler: reversed URLs use it
        signals.request_started.send(sender=self.__class__, environ=environ)
        request = WSGIRequest(environ)
        request.direct_question = question
        try:
            response = self.handler(request)
        except (PassToDjango, DisallowedHost, ValidationError, NotFound):
            return None  # Django gives the API's answer: a 404 or 400, a redirect...
        except Exception:  # a fault here must not cost the client the API's own answer
            logger.exception("direct read of %s failed; Django answers it", request.path)
            return None
        if response.status_code != 200:
            return None  # the shaping middleware's HTTPS redirect: Django's, counted there
        return response

    def answer(self, request: WSGIRequest) -> HttpResponse:
        route, params, arguments = request.direct_question
        data, headers = route.answer(request, params, **arguments)
        body = ORJSONRenderer().render(data)
        response = HttpResponse(body, content_type="application/json")
        response["ETag"] = etag_of_body(body)
        for name, value in headers.items():
            response[name] = value
        patch_vary_headers(response, VARY)
        response["Allow"] = route.allow
        response.shared_read = True  # for the shared response cache, as SharedReadMixin marks
        return response
