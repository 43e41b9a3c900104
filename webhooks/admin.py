from django.contrib import admin

from .models import Attempt, Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    """Every user's subscriptions; a disabled one shows why."""

    list_display = [
        "id", "target_url", "owner", "is_active", "disabled_reason", "failures_in_a_row",
        "created_at",
    ]  # fmt: skip
    list_filter = ["is_active"]
    list_select_related = ["owner"]
    search_fields = ["target_url", "owner__username"]
    readonly_fields = ["disabled_reason", "disabled_at", "failures_in_a_row", "created_at"]
    fields = ["owner", "target_url", "filter", "kinds", "is_active", *readonly_fields]
    raw_id_fields = ["owner"]


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number", "attempted_at", "response_status", "latency_ms", "error", "manual",
    ]  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "subscription", "change", "status", "attempts", "created_at"]
    list_filter = ["status"]
    list_select_related = ["subscription__owner", "change"]
    readonly_fields = [
        "subscription", "change", "webhook_id", "status", "attempts", "next_attempt_at",
        "created_at",
    ]  # fmt: skip
    fields = readonly_fields
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False
