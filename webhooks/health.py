"""The task queue and webhook deliveries, as ``/readyz`` and ``/metrics`` see them."""

from __future__ import annotations

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .models import Delivery, DeliveryStatus
from .queue import queue_status


class QueueUnreachable(Exception):
    """The task queue did not answer."""


def check_queue() -> None:
    """The task queue answers (``/readyz``): raises QueueUnreachable saying why otherwise."""
    status = queue_status()
    if not status.reachable:
        raise QueueUnreachable(status.error)


class WebhookCollector:
    """Read at each scrape from the queue's and the deliveries' tables (three cheap queries),
    so every process reports the same numbers whichever one is scraped. With the database
    down the queue's gauges are empty and the deliveries are left out, never a 500."""

    def collect(self):
        status = queue_status()
        depth = GaugeMetricFamily(
            "regwatch_task_queue_depth", "Jobs due and not started in the task queue."
        )
        age = GaugeMetricFamily(
            "regwatch_task_queue_oldest_age_seconds",
            "How long the oldest job due has waited (0 when none waits).",
        )
        if status.reachable:
            depth.add_metric([], status.depth)
            age.add_metric([], status.oldest_age_seconds or 0.0)
        yield depth
        yield age
        deliveries = GaugeMetricFamily(
            "regwatch_webhook_deliveries",
            "Webhook deliveries kept in the delivery log, by outcome.",
            labels=["outcome"],
        )
        try:
            counts = dict(Delivery.objects.values_list("status").annotate(n=Count("pk")))
        except DatabaseError:  # the database is down: /readyz says so; report what is known
            return
        for outcome in DeliveryStatus.values:
            deliveries.add_metric([outcome], counts.get(outcome, 0))
        yield deliveries
