"""Content negotiation: which representation a request gets (RFC 9110 section 12)."""

from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


def offered(renderers) -> str:
    return ", ".join(f"{renderer.format} ({renderer.media_type})" for renderer in renderers)


class StrictContentNegotiation(DefaultContentNegotiation):
    """A representation the view does not offer is 406 Not Acceptable (RFC 9110 section
    15.5.7), whether asked for with ``?format=`` (DRF's answer was 404, as if the resource did
    not exist) or with ``Accept``. The error lists the view's own renderers, so a format added
    as a renderer is offered, and listed, without touching this."""

    def select_renderer(self, request, renderers, format_suffix=None):
        parameter = self.settings.URL_FORMAT_OVERRIDE
        wanted = format_suffix or request.query_params.get(parameter)
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:  # from filter_renderers: no renderer has that format
            detail = f"The format {wanted!r} is not offered here; offered: {offered(renderers)}."
            raise NotAcceptable({parameter: [detail]}, available_renderers=renderers) from None
        except NotAcceptable:
            candidates = [r for r in renderers if r.format == wanted] or renderers
            raise NotAcceptable(
                "No media type in the Accept header is offered here; offered: "
                f"{offered(candidates)}.",
                available_renderers=candidates,
            ) from None
