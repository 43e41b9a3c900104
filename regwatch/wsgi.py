import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regwatch.settings")
django_application = get_wsgi_application()

from api.middleware import ChunkedBodyReader  # noqa: E402 (needs Django set up)
from api.response_cache import SharedResponseCache  # noqa: E402

application = ChunkedBodyReader(SharedResponseCache(django_application))
