from django.contrib import admin
from django.urls import Resolver404, include, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import bad_request, page_not_found

from api.middleware import error_response
from pages import views as pages_views


@csrf_exempt  # it changes nothing; without this a write with a session cookie got CSRF's page
def api_not_found(request, exception=None):
    """An unknown address in the API, in the API's JSON shape, with the address it probably
    meant: API addresses end with a slash, and nothing is redirected there (a redirect would
    lose a write's method or body; see ``api.middleware.CommonMiddleware``)."""
    detail = "No such address in the API."
    if not request.path.endswith("/"):
        try:
            meant = resolve(request.path + "/")
        except Resolver404:
            meant = None
        if meant is not None and meant.func is not api_not_found:  # not this catch-all again
            detail += f" Did you mean `{request.path}/`? API addresses end with a slash."
    return error_response(404, "not_found", detail, None)


def handler404(request, exception):
    """The API answers an unknown address in its own JSON shape; the rest as Django does."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    return page_not_found(request, exception)


def handler400(request, exception):
    """A request Django refuses before any view (too many parameters, an unreadable query)
    gets the API's JSON shape there too."""
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", "The request could not be read.", None)
    return bad_request(request, exception)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
    # /api/ itself is the front page too: people type it, and it leads everywhere.
    path("api/", pages_views.front_page, name="api-front"),
    path("api/", include("api.urls")),
    # Answered here rather than by handler404, which Django bypasses in debug mode.
    re_path(r"^api/", api_not_found),
]
