from django.contrib import admin
from django.urls import include, path
from django.views.defaults import bad_request, page_not_found

from api.middleware import error_response


def handler404(request, exception):
    """The API answers an unknown address in its own JSON shape; the rest as Django does."""
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", "No such address in the API.", None)
    return page_not_found(request, exception)


def handler400(request, exception):
    """A request Django refuses before any view (too many parameters, an unreadable query)
    gets the API's JSON shape there too."""
    if request.path.startswith("/api/"):
        return error_response(400, "bad_request", "The request could not be read.", None)
    return bad_request(request, exception)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
