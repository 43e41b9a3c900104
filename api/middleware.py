"""Refuse requests that no view should see: bodies cut off, over the size limit or chunked,
and NUL characters in query strings outside the API (PostgreSQL cannot compare them). Answers
in the API's shape."""

import io

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import JsonResponse
from django.middleware import common

READ_BLOCK_BYTES = 64 * 1024


def is_chunked(environ) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


class WholeBody:
    """WSGI middleware: a request's body is read whole before the application sees it, and one
    that ends before its ``Content-Length`` is refused with 400 (``parse_error``, as DRF
    names a body it cannot read).

    Granian hands the application a body as it arrives and reports a connection closed early,
    or a malformed chunk, as the body's end: read as it came, a cut-off import was stored as a
    whole one, and a write waiting on a stalled client held its lock (on SQLite, the whole
    database) meanwhile. Read here, a body is complete before any view runs. A body declared
    larger than the largest limit is left unread for RequestGuardMiddleware's 413, and a
    chunked one (no length to check it by) is refused there with 411."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        declared = declared_length(environ)
        limit = largest_body_limit()
        if declared and not is_chunked(environ) and (limit is None or declared <= limit):
            body = read_exactly(environ["wsgi.input"], declared)
            if len(body) < declared:
                response = error_response(
                    400,
                    "parse_error",
                    f"The body ended after {len(body)} of the {declared} bytes its "
                    "Content-Length gives; nothing was done.",
                    None,
                    kind="client_error",
                )
                response["Connection"] = "close"
                start_response(f"400 {response.reason_phrase}", list(response.items()))
                return [response.content]
            environ = {**environ, "wsgi.input": io.BytesIO(body)}
        return self.application(environ, start_response)


class HeadWithoutBody:
    """WSGI middleware: the answer to a HEAD carries the headers a GET would get and no body
    (RFC 9110 section 9.3.2). Django leaves that to the server; Granian drops it, but only
    after the application has made it, and a server that sends it (gunicorn did) leaves the
    client reading it, on a kept-alive connection, as the start of the next answer. The body
    is closed unread, so a streamed one is never computed."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        body = self.application(environ, start_response)
        if environ.get("REQUEST_METHOD") != "HEAD":
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        return []


def largest_body_limit() -> int | None:
    """The largest body any view takes: the view is not known yet when a body is read."""
    limits = [settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.REGWATCH_IMPORT_MAX_BYTES]
    return None if None in limits else max(limits)


def declared_length(environ) -> int:
    """The request's ``Content-Length``; 0 when there is none or it is not a whole number
    (RequestGuardMiddleware refuses that with 400)."""
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def read_exactly(stream, length: int) -> bytes:
    """``length`` bytes of ``stream``, or fewer when it ends first."""
    body = bytearray()
    while len(body) < length:
        block = stream.read(min(READ_BLOCK_BYTES, length - len(body)))
        if not block:
            break
        body += block
    return bytes(body)


def error_response(
    status: int, code: str, detail: str, attr: str | None, *, kind: str | None = None
) -> JsonResponse:
    """The API's error body; ``kind`` its ``type`` (default: ``validation_error`` for a 400,
    else ``client_error``)."""
    kind = kind or ("validation_error" if status == 400 else "client_error")
    return JsonResponse(
        {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status
    )


class RequestGuardMiddleware:
    """The body limit is ``DATA_UPLOAD_MAX_MEMORY_SIZE``, unless the view names another setting
    in ``body_limit_setting`` (dataset imports take files far larger than an API body), so
    it is checked once the URL has chosen the view, before anything reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The API's filters refuse NUL in the parameters they read, naming them; elsewhere
        # (the admin's search box) it would reach the database.
        try:
            query = request.GET
        except TooManyFieldsSent:
            return error_response(
                400,
                "too_many_parameters",
                f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} query parameters are read.",
                None,
            )
        checked = () if request.path.startswith("/api/") else query.lists()
        for name, values in checked:
            if "\x00" in name or any("\x00" in value for value in values):
                return error_response(
                    400, "null_character", "Query parameters cannot contain NUL characters.", name
                )
        if is_chunked(request.META):
            # RFC 9110 section 15.5.12: better refused than read as what arrived (WholeBody).
            return error_response(
                411,
                "length_required",
                "A chunked body is not read here; send it with a Content-Length.",
                None,
            )
        try:
            int(request.META.get("CONTENT_LENGTH") or "0")
        except ValueError:
            return error_response(400, "invalid", "Content-Length is not a number.", None)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None)
        setting = getattr(view_class, "body_limit_setting", "DATA_UPLOAD_MAX_MEMORY_SIZE")
        limit = getattr(settings, setting)
        if limit is not None and int(request.META.get("CONTENT_LENGTH") or "0") > limit:
            return error_response(
                413, "request_too_large", f"Request bodies are limited to {limit} bytes.", None
            )
        return None


class CommonMiddleware(common.CommonMiddleware):
    """Django's, without the redirect to an address with a slash inside the API: it would turn
    a write into a GET (and in debug mode it is a 500). The API answers a 404 that names the
    address with the slash (``regwatch.urls.api_not_found``); elsewhere, as Django does."""

    def should_redirect_with_slash(self, request) -> bool:
        return not request.path.startswith("/api/") and super().should_redirect_with_slash(request)
