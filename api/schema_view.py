"""The OpenAPI schema at ``/api/schema/``, each rendering of it kept for the process.

drf-spectacular generates and renders the schema on every request: about a second of CPU for
the YAML (0.4 s generating, 0.4 s rendering), asked by any client, signed in or not. The
schema changes only with the code and the settings, so each rendering is kept, per renderer
(YAML or JSON, chosen by ``Accept`` or ``?format=``), JSON indent (``Accept: ...; indent=N``,
0 to 8 as DRF reads it) and language (``?lang=``, one of ``settings.LANGUAGES``): at most a
few dozen entries of about 1.5 MB. A ``lang`` outside ``settings.LANGUAGES`` is rendered
afresh, as before, so clients cannot grow what is kept. A change of settings (in tests)
empties it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SCHEMA_KWARGS, SpectacularAPIView
from rest_framework.renderers import JSONRenderer

# (renderer class, JSON indent, lang, API version) -> (body, Content-Type, Content-Disposition)
_RENDERED: dict[tuple, tuple[bytes, str, str]] = {}


@receiver(setting_changed)
def _forget_renderings(**kwargs) -> None:
    _RENDERED.clear()


class SchemaView(SpectacularAPIView):
    """drf-spectacular's schema view, answering each rendering it has made before with the
    same body and headers."""

    @extend_schema(**SCHEMA_KWARGS)  # as the view it extends: left out of the schema
    def get(self, request, *args, **kwargs):
        lang = request.GET.get("lang") if settings.USE_I18N else None
        if lang is not None and lang not in dict(settings.LANGUAGES):
            return super().get(request, *args, **kwargs)
        renderer = request.accepted_renderer
        indent = None
        if isinstance(renderer, JSONRenderer):
            indent = renderer.get_indent(request.accepted_media_type, self.get_renderer_context())
        key = (type(renderer), indent, lang, self.api_version)
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
