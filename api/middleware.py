"""Refuse requests that no view should see: bodies over the size limit, and NUL characters in
query strings outside the API (PostgreSQL cannot compare them). Answers in the API's shape."""

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import JsonResponse


def error_response(status: int, code: str, detail: str, attr: str | None) -> JsonResponse:
    kind = "validation_error" if status == 400 else "client_error"
    return JsonResponse(
        {"type": kind, "errors": [{"code": code, "detail": detail, "attr": attr}]}, status=status
    )


class RequestGuardMiddleware:
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
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return error_response(400, "invalid", "Content-Length is not a number.", None)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and size > limit:
            return error_response(
                413, "request_too_large", f"Request bodies are limited to {limit} bytes.", None
            )
        return self.get_response(request)
