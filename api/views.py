from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from timeline.history import changed_fields, restore_version, version_snapshot
from timeline.models import Authority, Jurisdiction, Material, Measure, Sector
from timeline.querysets import measure_ids_matching

from . import filters, serializers
from .caching import cached_read
from .conditional import ConditionalListMixin, ConditionalRequestsMixin, etag_for
from .exceptions import Conflict
from .pages import EVENT_ROW_FIELDS, MEASURE_ROW_FIELDS, as_rows, event_page, measure_page
from .querysets import event_queryset, material_queryset, measure_queryset
from .response_cache import SharedReadMixin

SLUG = "[-a-zA-Z0-9_]+"


class ListFiltersOnlyMixin:
    """Query filters narrow lists; a detail or a write has its object by key (and building a
    filterset per request is not free)."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset


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


class TimelineViewSet(
    SharedReadMixin,
    ListFiltersOnlyMixin,
    ConditionalRequestsMixin,
    AtomicWritesMixin,
    viewsets.ModelViewSet,
):
    """A resource of the timeline: shared cached reads, ETags, atomic writes."""


class RowPagesMixin(ConditionalListMixin):
    """List pages read as plain rows (``api/pages.py``) and kept in the read cache with
    their ETag."""

    row_fields: tuple[str, ...]
    build_page: Callable[[list[dict], object], list[dict]]

    def page_and_etag(self, request, *args, **kwargs) -> tuple[dict, str]:
        def page() -> tuple[dict, str]:
            queryset = self.filter_queryset(self.get_queryset())
            rows = self.paginator.paginate_rows(queryset, self.row_fields, request, self)
            data = self.get_paginated_response(self.build_page(rows, request)).data
            return data, etag_for(data)

        return cached_read(request, ("list", "etag"), page)


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
class MeasureViewSet(RowPagesMixin, TimelineViewSet):
    """Dated measures on materials: export controls and the like, with their timeline."""

    serializer_class = serializers.MeasureSerializer
    filterset_class = filters.MeasureFilterSet
    row_fields = MEASURE_ROW_FIELDS
    build_page = staticmethod(measure_page)
    lookup_field = "key"
    lookup_value_regex = SLUG

    def get_queryset(self):
        if self.action == "retrieve":  # representation() reads the rows it shows
            return Measure.objects.only("pk", "key", "updated_at")
        return measure_queryset()

    def representation(self, instance) -> dict:
        def compute() -> dict:
            rows = as_rows(
                Measure.objects.with_status(timezone.localdate()).filter(pk=instance.pk),
                MEASURE_ROW_FIELDS,
            )
            return measure_page(list(rows), self.request)[0]

        return cached_read(self.request, ("measure", instance.pk), compute)


@extend_schema_view(
    list=extend_schema(summary="List materials"),
    retrieve=extend_schema(summary="One material"),
)
class MaterialViewSet(TimelineViewSet):
    """Materials and the groups they belong to (groups nest)."""

    serializer_class = serializers.MaterialSerializer
    filterset_class = filters.MaterialFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG

    def get_queryset(self):
        return material_queryset()


class JurisdictionViewSet(TimelineViewSet):
    """Countries and blocs that issue measures or are their targets."""

    queryset = Jurisdiction.objects.all()
    serializer_class = serializers.JurisdictionSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9]+"


class AuthorityViewSet(TimelineViewSet):
    """Authorities that issue measures."""

    queryset = Authority.objects.select_related("jurisdiction")
    serializer_class = serializers.AuthoritySerializer
    filterset_class = filters.AuthorityFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG


class SectorViewSet(TimelineViewSet):
    """Sectors that depend on the materials."""

    queryset = Sector.objects.all()
    serializer_class = serializers.SectorSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG


class EventFeedView(SharedReadMixin, RowPagesMixin, generics.ListAPIView):
    """One chronological feed of events across all measures."""

    serializer_class = serializers.TimelineEventSerializer
    filterset_class = filters.EventFilterSet
    row_fields = EVENT_ROW_FIELDS
    build_page = staticmethod(event_page)
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
        return event_queryset().filter(measure_id__in=measure_ids_matching([material]))

    @extend_schema(summary="A material's timeline")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class MeasureHistoryView(generics.ListAPIView):
    """Every recorded version of a measure, newest first, with what each one changed. Works
    for deleted measures too, so they can be found and restored."""

    serializer_class = serializers.MeasureVersionSerializer
    filter_backends: list = []

    def get_queryset(self):
        return Measure.history.none()  # for the schema; list() builds the versions

    @extend_schema(summary="A measure's history")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        rows = list(
            Measure.history.filter(key=self.kwargs["key"])
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        if not rows:
            raise NotFound("No measure with this key has ever been recorded.")
        versions, previous = [], None
        for row in rows:
            snapshot = version_snapshot(row)
            versions.append(
                {
                    "version": row.history_id,
                    "recorded_at": row.history_date,
                    "action": HISTORY_ACTIONS[row.history_type],
                    "user": row.history_user.get_username() if row.history_user else None,
                    "reason": row.history_change_reason,
                    "changes": changed_fields(previous, snapshot),
                    "measure": snapshot,
                }
            )
            previous = snapshot
        versions.reverse()
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MeasureRestoreView(generics.GenericAPIView):
    """Bring a measure back to one of its versions, nested parts included; a deleted measure
    is recreated. Needs the add and change permissions on measures."""

    serializer_class = serializers.MeasureSerializer
    queryset = Measure.objects.none()
    may_conflict = True

    @extend_schema(
        summary="Restore a version of a measure",
        request=None,
        responses={200: serializers.MeasureSerializer, 201: serializers.MeasureSerializer},
    )
    def post(self, request, key: str, version: int):
        if not request.user.has_perms(["timeline.add_measure", "timeline.change_measure"]):
            self.permission_denied(request, "Restoring needs the add and change permissions.")
        row = get_object_or_404(Measure.history.all(), key=key, history_id=version)
        existed = Measure.objects.filter(key=key).exists()
        try:
            measure = restore_version(row, reason=f"restored version {version}")
        except DjangoValidationError as error:
            raise Conflict(" ".join(error.messages)) from error
        body = self.get_serializer(measure_queryset().get(pk=measure.pk)).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)
