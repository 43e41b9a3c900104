"""Test settings: the project's settings with a throwaway secret and fast hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ["DJANGO_DEBUG"] = "false"  # tests run as production does, whatever a local .env says

from regwatch.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Unhashed static files, so admin pages render without collectstatic.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
REGWATCH_THROTTLE_ANON = None
REGWATCH_THROTTLE_USER = None
ALLOWED_HOSTS = ["testserver", "localhost"]
# Nothing cached between tests (their rolled-back writes would leave stale entries behind);
# the tests of caching turn a real cache on.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
REGWATCH_READ_CACHE_SECONDS = 0
