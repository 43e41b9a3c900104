import orjson
from django.utils.functional import Promise
from rest_framework.renderers import JSONRenderer


def _default(value):
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"Cannot serialise {type(value).__name__}")


class ORJSONRenderer(JSONRenderer):
    """The same JSON as DRF's renderer (compact, UTF-8), several times faster to produce."""

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default)
