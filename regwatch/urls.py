from django.contrib import admin
from django.urls import include, path
from django.views.defaults import page_not_found

from api.middleware import error_response


def handler404(request, exception):
    """The API answers an unknown address in its own JSON shape; the rest as Django does."""
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", "No such address in the API.", None)
    return page_not_found(request, exception)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
]
