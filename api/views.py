from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, viewsets

from timeline.models import Authority, Jurisdiction, Material, Measure, Sector

from . import filters, serializers
from .exceptions import Conflict
from .querysets import event_queryset, material_queryset, measure_queryset

SLUG = "[-a-zA-Z0-9_]+"


class AtomicWritesMixin:
    """Every write is one transaction: nested parts and the row land together or not at all."""

    def perform_create(self, serializer):
        with transaction.atomic():
            super().perform_create(serializer)

    def perform_update(self, serializer):
        with transaction.atomic():
            super().perform_update(serializer)

    def perform_destroy(self, instance):
        try:
            with transaction.atomic():
                super().perform_destroy(instance)
        except ProtectedError as error:
            used_by = sorted({str(obj) for obj in error.protected_objects})
            raise Conflict(
                f"{instance} is still referred to by {len(used_by)} record(s), e.g. "
                f"{', '.join(used_by[:5])}; change those first."
            ) from error


@extend_schema_view(
    list=extend_schema(summary="List measures", description="Measures, filtered and ordered."),
    retrieve=extend_schema(summary="One measure"),
    create=extend_schema(summary="Create a measure"),
    update=extend_schema(
        summary="Replace a measure",
        description="Nested lists absent from the body are emptied; read-only fields are ignored.",
    ),
    partial_update=extend_schema(
        summary="Change part of a measure",
        description="Nested lists present in the body are replaced whole; absent ones are kept.",
    ),
    destroy=extend_schema(summary="Delete a measure"),
)
class MeasureViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    serializer_class = serializers.MeasureSerializer
    filterset_class = filters.MeasureFilterSet
    lookup_field = "key"
    lookup_value_regex = SLUG

    def get_queryset(self):
        return measure_queryset()


@extend_schema_view(
    list=extend_schema(summary="List materials"),
    retrieve=extend_schema(summary="One material"),
)
class MaterialViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    serializer_class = serializers.MaterialSerializer
    filterset_class = filters.MaterialFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG

    def get_queryset(self):
        return material_queryset()


class JurisdictionViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    queryset = Jurisdiction.objects.all()
    serializer_class = serializers.JurisdictionSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9]+"


class AuthorityViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    queryset = Authority.objects.select_related("jurisdiction")
    serializer_class = serializers.AuthoritySerializer
    filterset_class = filters.AuthorityFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG


class SectorViewSet(AtomicWritesMixin, viewsets.ModelViewSet):
    queryset = Sector.objects.all()
    serializer_class = serializers.SectorSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG


class EventFeedView(generics.ListAPIView):
    """One chronological feed of events across all measures."""

    serializer_class = serializers.TimelineEventSerializer
    filterset_class = filters.EventFilterSet
    queryset = event_queryset()

    @extend_schema(summary="Events across all measures")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MeasureTimelineView(EventFeedView):
    """A measure's timeline: its recorded events and the entries its dates imply, by date."""

    def get_queryset(self):
        measure = get_object_or_404(Measure.objects.only("pk"), key=self.kwargs["key"])
        return event_queryset().filter(measure=measure)

    @extend_schema(summary="A measure's timeline")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MaterialTimelineView(EventFeedView):
    """Events of every measure that matches the material, groups expanded both ways."""

    def get_queryset(self):
        material = get_object_or_404(Material.objects.only("pk"), slug=self.kwargs["slug"])
        return event_queryset().filter(measure__in=Measure.objects.matching_materials([material]))

    @extend_schema(summary="A material's timeline")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
