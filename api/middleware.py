"""Refuse requests that no view should see: bodies over the size limit, and NUL characters in
query strings outside the API (PostgreSQL cannot compare them). Answers in the API's shape."""

from django.conf import settings
from django.http import JsonResponse


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
        checked = () if request.path.startswith("/api/") else request.GET.lists()
        for name, values in checked:
            if "\x00" in name or any("\x00" in value for value in values):
                return error_response(
                    400, "null_character", "Query parameters cannot contain NUL characters.", name
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
