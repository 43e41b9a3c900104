"""Readiness checks: is each service a request needs reachable from this process?

A check is a function taking nothing and returning nothing that raises when its service is not
usable; ``/readyz`` runs every check named in ``settings.REGWATCH_READINESS_CHECKS`` (name to
dotted path) and answers 503 naming those that failed. Adding a service is one line there,
e.g. ``"queue": "webhooks.health.check_queue"``.

The checks are kept cheap, as load balancers call them every few seconds: one ``SELECT 1`` on
the database, one read of a key in the cache, and the task queue's due jobs counted in its
table (``webhooks.health.check_queue``, two queries). (django-health-check's checks write a
row and a key on every probe, which is why they are not used here.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

PROBE_KEY = "regwatch:readyz"


def check_database() -> None:
    """The default database answers a query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """The default cache answers a read (a missing key is a fine answer)."""
    cache.get(PROBE_KEY)


def readiness_checks() -> dict[str, Callable[[], None]]:
    return {name: import_string(path) for name, path in settings.REGWATCH_READINESS_CHECKS.items()}


def readiness() -> dict[str, str]:
    """Each check by name: ``"ok"``, or the kind of error it raised (its message may hold a
    password or an address, and the answer is public, so the message goes to the log only)."""
    outcomes = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as error:  # any failure means "not ready", whatever raised it
            logger.warning("readiness check %s failed: %s", name, error)
            outcomes[name] = type(error).__name__
        else:
            outcomes[name] = "ok"
    if outcomes.get("database", "ok") != "ok":
        connection.close_if_unusable_or_obsolete()
    return outcomes
