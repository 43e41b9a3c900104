import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regwatch.settings")
django_application = get_wsgi_application()

from api.direct_reads import DirectReads  # noqa: E402 (needs Django set up)
from api.middleware import HeadWithoutBody, WholeBody  # noqa: E402
from api.response_cache import SharedResponseCache  # noqa: E402

application = HeadWithoutBody(WholeBody(SharedResponseCache(DirectReads(django_application))))
