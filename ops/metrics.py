"""Prometheus metrics at ``/metrics``, from django-prometheus and prometheus-client.

What is measured:
- ``django_http_requests_latency_seconds_by_view_method``: request latency by route (the name of
  the URL pattern, e.g. ``measure-detail`` for ``/api/v1/measures/{key}/``, never the raw path)
  and method, with django-prometheus' other request and response counters;
- ``django_db_execute_total``, ``django_db_query_duration_seconds``: database queries, through
  django-prometheus' database backends (``settings.DATABASES`` swaps the engine);
- ``regwatch_shared_cache_answers_total``: answers given by the shared response cache in front
  of Django (those never reach Django's middleware, so the latency above does not see them);
- whatever the collectors named in ``settings.REGWATCH_METRICS_COLLECTORS`` report at scrape
  time (queue depth, age of the oldest job, deliveries by outcome read from their tables).

Several processes (Granian workers): with ``PROMETHEUS_MULTIPROC_DIR`` set, every process
writes its samples there and a scrape of any worker adds them up (prometheus-client's
multiprocess mode; ``regwatch.serve`` empties the directory before the server starts).

Access is closed by default: a scrape is answered when it comes from a network listed in
``REGWATCH_METRICS_ALLOWED_NETWORKS`` or carries ``Authorization: Bearer <REGWATCH_METRICS_TOKEN>``;
anything else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)

DIRECT_READS = Counter(
    "regwatch_direct_reads",
    "Anonymous API reads answered in front of Django (api.direct_reads), by operation.",
    ["operation"],
)
SHARED_CACHE_ANSWERS = Counter(
    "regwatch_shared_cache_answers",
    "Anonymous API reads answered from the shared response cache, by outcome "
    "(hit: replayed; not_modified: a 304 from the cached ETag).",
    ["outcome"],
)


def scrape_allowed(request: HttpRequest) -> bool:
    """From an allowed network (the direct peer's address, ``REMOTE_ADDR``), or with the
    bearer token."""
    token = settings.REGWATCH_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
            return True
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in allowed_networks())


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(network, strict=False)
        for network in settings.REGWATCH_METRICS_ALLOWED_NETWORKS
    ]


def registry() -> CollectorRegistry:
    """This process's metrics, or every process's in multiprocess mode, plus the scrape-time
    collectors."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
    else:
        collected = CollectorRegistry()
        collected.register(_Everything())
    for path in settings.REGWATCH_METRICS_COLLECTORS:
        collected.register(import_string(path)())
    return collected


class _Everything:
    """The process-wide default registry, seen through a registry of this scrape's own (so
    the scrape-time collectors are registered once per scrape, never globally)."""

    def collect(self):
        yield from REGISTRY.collect()


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not scrape_allowed(request):
        return HttpResponse(
            "Metrics are open to the networks in REGWATCH_METRICS_ALLOWED_NETWORKS or with "
            "the bearer token in REGWATCH_METRICS_TOKEN.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
