from django.db import transaction
from rest_framework import serializers

from api.serializers import StrictFieldsMixin
from changelog.cursor import encode, last_position
from changelog.filters import validated_measure_filter
from changelog.models import Action, Kind

from .addresses import RefusedTarget, check_url
from .models import Attempt, DeliveryStatus, Subscription


class SubscriptionSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:subscription-detail", help_text="Address of this subscription."
    )
    target_url = serializers.URLField(
        max_length=2000,
        help_text="Where deliveries are POSTed: https (plain http only to this machine, in "
        "development). Private, link-local and metadata addresses are refused.",
    )
    filter = serializers.JSONField(
        required=False,
        help_text="Query parameters of the measures list (but `ordering`, `facets` and "
        "`as_known_on`), as an object: "
        'e.g. {"material": ["gallium"], "in_force_on": "2025-06-01"}; a parameter that takes '
        "several values takes a list (or, as in a URL, one comma-separated string). Checked "
        "as the measures list checks its query. Empty (the default): every measure. It "
        "narrows measure changes only.",
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Kind.choices),
        required=False,
        allow_empty=False,
        help_text="Kinds of record whose changes are delivered; default all.",
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="False while disabled (by its owner, or after a run of failures: see "
        "`disabled_reason`); set true to resume.",
    )

    class Meta:
        model = Subscription
        fields = [
            "id", "url", "target_url", "filter", "kinds", "is_active", "disabled_reason",
            "disabled_at", "failures_in_a_row", "created_at",
        ]  # fmt: skip
        read_only_fields = ["disabled_reason", "disabled_at", "failures_in_a_row", "created_at"]
        extra_kwargs = {
            "id": {"help_text": "Id of the subscription."},
            "disabled_reason": {"help_text": "Why it was disabled; empty while active."},
            "disabled_at": {"help_text": "When it was disabled; null while active."},
            "failures_in_a_row": {
                "help_text": "Failed attempts since the last success; at "
                "REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES the subscription is disabled."
            },
            "created_at": {"help_text": "When it was registered: it gets the changes after."},
        }

    def validate_target_url(self, value: str) -> str:
        try:
            check_url(value)
        except RefusedTarget as error:
            raise serializers.ValidationError(str(error)) from None
        return value

    def validate_filter(self, value):
        return validated_measure_filter(value)

    def validate_kinds(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def create(self, validated_data):
        with transaction.atomic():
            validated_data["starts_after"] = last_position()
            return super().create(validated_data)

    def update(self, instance, validated_data):
        if validated_data.get("is_active") and not instance.is_active:
            validated_data.update(disabled_reason="", disabled_at=None, failures_in_a_row=0)
        return super().update(instance, validated_data)


class NewSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signing secret (Standard Webhooks, `whsec_...`): shown this once only.",
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


class AttemptSerializer(serializers.ModelSerializer):
    delivery = serializers.IntegerField(source="delivery_id", help_text="Delivery id.")
    webhook_id = serializers.CharField(
        source="delivery.webhook_id", help_text="The `webhook-id` sent, the same every attempt."
    )
    delivery_status = serializers.ChoiceField(
        source="delivery.status", choices=DeliveryStatus.choices, help_text="Where it stands now."
    )
    cursor = serializers.SerializerMethodField(help_text="The change's cursor in the feed.")
    kind = serializers.ChoiceField(source="delivery.change.kind", choices=Kind.choices)
    key = serializers.CharField(source="delivery.change.key", help_text="The record's key.")
    action = serializers.ChoiceField(source="delivery.change.action", choices=Action.choices)
    attempt = serializers.IntegerField(source="number", help_text="1 for the first attempt.")

    class Meta:
        model = Attempt
        fields = [
            "delivery", "webhook_id", "delivery_status", "cursor", "kind", "key", "action",
            "attempt", "attempted_at", "response_status", "latency_ms", "error", "manual",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "attempted_at": {"help_text": "When the POST began."},
            "response_status": {"help_text": "The receiver's HTTP status; null without one."},
            "latency_ms": {"help_text": "Milliseconds from connecting to the answer."},
            "error": {"help_text": "Why the attempt failed; empty when it succeeded."},
        }

    def get_cursor(self, attempt: Attempt) -> str:
        return encode(attempt.delivery.change.position)


class AttemptPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Attempts in the log.")
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = AttemptSerializer(many=True, help_text="Attempts, newest first.")


class RedeliverySerializer(serializers.Serializer):
    delivery = serializers.IntegerField(help_text="The delivery queued again.")
    webhook_id = serializers.CharField(help_text="The same `webhook-id` as before.")
