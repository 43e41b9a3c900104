"""The worker's jobs: matching changes to subscriptions, and posting one delivery.

A delivery is claimed with one conditional UPDATE before it is posted, so a duplicate job (a
redelivery asked twice, a job run again after a crash) never posts it twice at once; the
POST itself runs outside any transaction, so a slow receiver holds no lock. A worker that
dies between the claim and the outcome leaves a claim that expires; the next dispatch run
enqueues the delivery again, with the same ``webhook-id``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from . import payloads, sending
from .dispatch import dispatch_batch
from .models import Attempt, Delivery, DeliveryStatus, Subscription

# How long a claim outlives the longest POST before another job may take the delivery over.
CLAIM_MARGIN = datetime.timedelta(seconds=30)


def retry_delay(attempts_made: int) -> datetime.timedelta:
    """Wait before the next attempt after ``attempts_made`` failed ones: exponential,
    REGWATCH_WEBHOOKS_RETRY_SECONDS times REGWATCH_WEBHOOKS_RETRY_FACTOR^(n-1), capped."""
    seconds = settings.REGWATCH_WEBHOOKS_RETRY_SECONDS * (
        settings.REGWATCH_WEBHOOKS_RETRY_FACTOR ** (attempts_made - 1)
    )
    return datetime.timedelta(seconds=min(seconds, settings.REGWATCH_WEBHOOKS_RETRY_MAX_SECONDS))


@task()
def dispatch_changes() -> int:
    """Match every change not yet matched to subscriptions; returns how many it covered."""
    covered = 0
    while batch := dispatch_batch():
        covered += batch
    requeue_abandoned()
    return covered


def requeue_abandoned() -> None:
    """Deliveries whose claim expired without an outcome (their worker died): post again."""
    now = timezone.now()
    abandoned = Delivery.objects.filter(status=DeliveryStatus.PENDING, claimed_until__lt=now)
    for pk in abandoned.values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            if Delivery.objects.filter(pk=pk, claimed_until__lt=now).update(claimed_until=None):
                deliver.enqueue(pk)


@task()
def deliver(delivery_id: int, manual: bool = False) -> str:
    """Post one delivery if it is still pending and due; returns what happened."""
    now = timezone.now()
    hold = datetime.timedelta(
        seconds=settings.REGWATCH_WEBHOOKS_CONNECT_TIMEOUT + settings.REGWATCH_WEBHOOKS_READ_TIMEOUT
    )
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            subscription__is_active=True,
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + hold + CLAIM_MARGIN, attempts=F("attempts") + 1)
    )
    if not claimed:
        return "not due"
    delivery = Delivery.objects.select_related("subscription", "change").get(pk=delivery_id)
    subscription = delivery.subscription
    body = payloads.body(delivery.change)
    attempted_at = timezone.now()
    outcome = sending.post(
        subscription.target_url,
        body,
        payloads.headers(subscription.secret, delivery.webhook_id, body, attempted_at),
    )
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=attempted_at,
            response_status=outcome.status,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            manual=manual,
        )
        if outcome.succeeded:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.DELIVERED, claimed_until=None, next_attempt_at=None
            )
            Subscription.objects.filter(pk=subscription.pk).update(failures_in_a_row=0)
            return "delivered"
        _failed(delivery, subscription, outcome, manual)
    return "failed"


def _failed(delivery: Delivery, subscription: Subscription, outcome, manual: bool) -> None:
    if delivery.attempts >= settings.REGWATCH_WEBHOOKS_ATTEMPTS or manual:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, claimed_until=None, next_attempt_at=None
        )
    else:
        due = timezone.now() + retry_delay(delivery.attempts)
        Delivery.objects.filter(pk=delivery.pk).update(claimed_until=None, next_attempt_at=due)
        deliver.using(run_after=due).enqueue(delivery.pk)
    Subscription.objects.filter(pk=subscription.pk).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    limit = settings.REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES
    if limit:
        reason = (
            f"Disabled after {limit} failed attempts in a row; the last: "
            f"{outcome.error or 'no answer'}."
        )
        Subscription.objects.filter(
            pk=subscription.pk, is_active=True, failures_in_a_row__gte=limit
        ).update(is_active=False, disabled_reason=reason, disabled_at=timezone.now())
