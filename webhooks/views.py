"""``/api/v1/subscriptions/``: a user's webhook subscriptions, their delivery log and manual
redelivery. Each user sees and changes only their own (others' are 404); admins see all in
the Django admin."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from api.exceptions import Conflict
from api.parameters import StrictQueryParametersMixin
from api.schema import ClientErrorResponseSerializer

from .models import Attempt, Delivery, DeliveryStatus, Subscription
from .serializers import (
    AttemptPageSerializer,
    AttemptSerializer,
    NewSubscriptionSerializer,
    RedeliverySerializer,
    SubscriptionSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="Your webhook subscriptions"),
    create=extend_schema(
        summary="Subscribe to changes",
        description="Deliveries follow the Standard Webhooks specification; the answer holds "
        "the signing secret, shown this once.",
        responses={201: NewSubscriptionSerializer},
    ),
    retrieve=extend_schema(summary="One of your subscriptions"),
    partial_update=extend_schema(summary="Change a subscription (is_active=true resumes it)"),
    destroy=extend_schema(summary="Delete a subscription and its delivery log"),
)
class SubscriptionViewSet(StrictQueryParametersMixin, viewsets.ModelViewSet):
    serializer_class = SubscriptionSerializer
    permission_classes = [IsAuthenticated]
    filter_backends: list = []
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    extra_query_parameters = {"deliveries": ("page", "page_size")}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Subscription.objects.none()
        return Subscription.objects.filter(owner=self.request.user).order_by("id")

    def get_serializer_class(self):
        if self.action == "create":
            return NewSubscriptionSerializer
        if self.action == "deliveries":
            return AttemptSerializer
        return SubscriptionSerializer

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)

    @extend_schema(
        summary="A subscription's delivery log",
        description="Every attempt, newest first: when, the answer's status, latency, error.",
        responses={200: AttemptPageSerializer},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        attempts = (
            Attempt.objects.filter(delivery__subscription=subscription)
            .select_related("delivery__change")
            .order_by("-id")
        )
        page = self.paginate_queryset(attempts)
        return self.get_paginated_response(AttemptSerializer(page, many=True).data)

    @extend_schema(
        summary="Deliver a change again",
        description="Queues one more attempt of a delivery, with the same `webhook-id`; 409 "
        "while the subscription is disabled.",
        request=None,
        responses={
            202: RedeliverySerializer,
            409: OpenApiResponse(
                ClientErrorResponseSerializer, description="The subscription is disabled."
            ),
        },
        parameters=[
            OpenApiParameter(
                "delivery_id",
                int,
                OpenApiParameter.PATH,
                description="Id of the delivery, as the delivery log lists it.",
            )
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
        url_name="redeliver",
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        from .tasks import deliver

        subscription = self.get_object()
        if not subscription.is_active:
            raise Conflict(
                "The subscription is disabled"
                + (f" ({subscription.disabled_reason})" if subscription.disabled_reason else "")
                + ": set is_active to true first."
            )
        with transaction.atomic():
            delivery = get_object_or_404(
                Delivery.objects.select_for_update(), pk=delivery_id, subscription=subscription
            )
            delivery.status = DeliveryStatus.PENDING
            delivery.next_attempt_at = None
            delivery.claimed_until = None
            delivery.save(update_fields=["status", "next_attempt_at", "claimed_until"])
            deliver.enqueue(delivery.pk, manual=True)
        return Response(
            {"delivery": delivery.pk, "webhook_id": delivery.webhook_id},
            status=status.HTTP_202_ACCEPTED,
        )


router = SimpleRouter()
router.register("subscriptions", SubscriptionViewSet, basename="subscription")
