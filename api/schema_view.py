"""The OpenAPI schema at ``/api/schema/``, its usual renderings kept for the process.

drf-spectacular generates and renders the schema on every request: about a second of CPU for
the YAML (0.4 s generating, 0.4 s rendering), asked by any client, signed in or not. The
schema changes only with the code and the settings, so the rendering each renderer (YAML or
JSON, by ``Accept`` or ``?format=``) gives a plain request is kept: at most four of about
1.5 MB each. A request naming a ``lang`` or giving media type parameters but ``q`` (``Accept:
...; indent=2``) is rendered afresh, as drf-spectacular does, so that clients cannot grow
what is kept. A change of settings (in tests) empties it. Errors (405, 406, 429) are the
API's JSON, not YAML.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.http.request import MediaType
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView

from .renderers import ORJSONRenderer

# (renderer class, API version) -> (body, Content-Type, Content-Disposition)
_RENDERED: dict[tuple, tuple[bytes, str, str]] = {}


@receiver(setting_changed)
def _forget_renderings(**kwargs) -> None:
    _RENDERED.clear()


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, answering a plain request with the rendering it made
    for the first one."""

    @extend_schema(**SCHEMA_KWARGS)  # as the view it extends: left out of the schema
    def get(self, request, *args, **kwargs):
        parameters = MediaType(request.accepted_media_type).params.keys() - {"q"}
        if "lang" in request.GET or parameters:
            return super().get(request, *args, **kwargs)
        renderer = request.accepted_renderer
        key = (type(renderer), self.api_version)
        kept = _RENDERED.get(key)
        if kept is None:
            response = super().get(request, *args, **kwargs)
            response.accepted_renderer = renderer
            response.accepted_media_type = request.accepted_media_type
            response.renderer_context = self.get_renderer_context()
            response.render()
            kept = (response.content, response["Content-Type"], response["Content-Disposition"])
            _RENDERED[key] = kept
        body, content_type, disposition = kept
        return HttpResponse(
            body, content_type=content_type, headers={"Content-Disposition": disposition}
        )

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        self.request.accepted_renderer = ORJSONRenderer()
        self.request.accepted_media_type = ORJSONRenderer.media_type
        return response
