"""Webhook subscriptions, the deliveries of changes to them, and each attempt's outcome."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from changelog.models import Change, Kind


def new_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def all_kinds() -> list[str]:
    return list(Kind.values)


class Subscription(models.Model):
    """A receiver told about the changes it asked for, owned by the user who registered it."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    target_url = models.URLField(max_length=2000, help_text="Where deliveries are POSTed.")
    filter = models.JSONField(
        default=dict,
        blank=True,
        help_text="Query parameters of the measures list ({name: value}); empty: every measure.",
    )
    kinds = models.JSONField(default=all_kinds, help_text="Kinds of record whose changes it gets.")
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    starts_after = models.BigIntegerField(
        default=0,
        editable=False,
        help_text="Feed position when it was registered: it gets the changes after this one.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.target_url} ({self.owner})"

    def get_absolute_url(self) -> str:
        return reverse("api:subscription-detail", kwargs={"pk": self.pk})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (attempts exhausted)"


class Delivery(models.Model):
    """One change for one subscription: sent until a receiver answers 2xx, always with the
    same ``webhook-id`` so the receiver can drop a repeat."""

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="+")
    webhook_id = models.CharField(
        max_length=64, unique=True, editable=False, default=new_webhook_id
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "change"], name="delivery_once_per_subscription"
            )
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.webhook_id} to {self.subscription_id}"


class DispatchState(models.Model):
    """One row: the feed position up to which changes have been matched to subscriptions."""

    position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"dispatched up to {self.position}"


class Attempt(models.Model):
    """One POST of a delivery and what came of it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(help_text="1 for the first attempt of the delivery.")
    attempted_at = models.DateTimeField()
    response_status = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    manual = models.BooleanField(default=False, help_text="Asked for by a redelivery.")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["delivery", "number"], name="attempt_delivery_number")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
