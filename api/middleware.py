"""Refuse requests that no view should see: bodies over the size limit, chunked bodies the
server could not read, and NUL characters in query strings outside the API (PostgreSQL cannot
compare them). Answers in the API's shape."""

import io

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import WSGIRequest
from django.http import JsonResponse
from django.middleware import common

READ_BLOCK_BYTES = 64 * 1024


def is_chunked(environ) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


class ChunkedBodyReader:
    """WSGI middleware for bodies sent with ``Transfer-Encoding: chunked`` (RFC 9112 section
    7.1) and so without a Content-Length: Django reads Content-Length bytes of a body, none
    of these, and the view saw an empty body. Where the server has decoded the chunks and
    ends the input with the body (``wsgi.input_terminated``, as Granian does), the body is
    read here, up to one byte over the largest size limit (which RequestGuardMiddleware then
    refuses with 413), and handed on with its length. Elsewhere RequestGuardMiddleware
    answers 411."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if (
            is_chunked(environ)
            and not environ.get("CONTENT_LENGTH")
            and environ.get("wsgi.input_terminated")
        ):
            body = read_up_to(environ["wsgi.input"], largest_body_limit())
            environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
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
    """The largest body any view takes: the view is not known yet when a chunked body is
    read, and a body cut at a smaller limit would reach a view that takes more as if whole."""
    limits = [settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.REGWATCH_IMPORT_MAX_BYTES]
    return None if None in limits else max(limits)


def read_up_to(stream, limit: int | None) -> bytes:
    """The whole stream, or its first ``limit`` + 1 bytes when it is longer than ``limit``."""
    body = bytearray()
    while limit is None or len(body) <= limit:
        block = stream.read(READ_BLOCK_BYTES)
        if not block:
            break
        body += block
    return bytes(body if limit is None else body[: limit + 1])


def error_response(status: int, code: str, detail: str, attr: str | None) -> JsonResponse:
    kind = "validation_error" if status == 400 else "client_error"
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
        if (
            isinstance(request, WSGIRequest)
            and is_chunked(request.META)
            and not request.META.get("CONTENT_LENGTH")
        ):
            # RFC 9110 section 15.5.12: better refused than read as empty.
            return error_response(
                411,
                "length_required",
                "This server cannot read a chunked body here; send it with a Content-Length.",
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
