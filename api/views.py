from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import generics, status, viewsets
from rest_framework.exceptions import ErrorDetail, NotFound, ValidationError
from rest_framework.response import Response

from timeline.counts import timeline_event_count
from timeline.history import changed_fields, version_snapshot
from timeline.matches import events_in_timeline_order
from timeline.models import (
    Authority,
    HSCode,
    HSLevel,
    Jurisdiction,
    Material,
    Measure,
    Sector,
    normalize_hs_code,
)
from timeline.page_rows import EVENT_ROW_FIELDS
from timeline.querysets import events_matching
from timeline.representation import store as representation
from timeline.services import MeasureInUse, delete_measure, restore_version

from . import as_known, filters, serializers
from .caching import cached_read
from .conditional import (
    ConditionalListMixin,
    ConditionalRequestsMixin,
    conditional_response,
    etag_for,
    last_modified_with_status,
)
from .exceptions import Conflict
from .exports.columns import EVENT_COLUMNS, MATERIAL_COLUMNS, MEASURE_COLUMNS
from .exports.views import ALL_FORMATS, DATED, NOT_EXPORTED, TABULAR, ExportMixin
from .facets import FacetsMixin
from .pages import event_page, measure_page
from .parameters import StrictQueryParametersMixin
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
    StrictQueryParametersMixin,
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

    row_fields: tuple[str, ...] = ()  # the values() a page reads, without rows_of_ids
    build_page: Callable[[list[dict], object], list[dict]]
    rows_of_ids: Callable[[list], list[dict]] | None = None  # see paginate_rows

    def page_and_etag(self, request, *args, **kwargs) -> tuple[dict, str]:
        def page() -> tuple[dict, str]:
            queryset = self.filter_queryset(self.get_queryset())
            rows = self.paginator.paginate_rows(
                queryset,
                self.row_fields,
                request,
                self,
                count_queryset=self.count_queryset(),
                rows_of_ids=self.rows_of_ids,
                page_ids=self.page_ids(),
            )
            data = self.get_paginated_response(self.build_page(rows, request)).data
            return data, etag_for(data)

        return cached_read(request, ("list", "etag"), page)

    def count_queryset(self) -> QuerySet | int | None:
        """A query counting the same rows as the filtered list, cheaper to run, the count
        itself, or None (the filterset's, see ``MeasureFilterSet.count_queryset``)."""
        filterset = getattr(self, "filterset", None)
        return getattr(filterset, "count_queryset", lambda: None)()

    def page_ids(self) -> QuerySet | None:
        """The list's ids in page order, read cheaper than from the filtered list, or None
        (the filterset's, see ``MeasureFilterSet.page_ids``)."""
        return getattr(getattr(self, "filterset", None), "page_ids", None)

    def filters_given(self) -> bool:
        """Whether the request narrows the list by any filter (paging is not one)."""
        paging = {"page", "page_size", "format"}
        return any(name not in paging for name in self.request.query_params)


FORCE = OpenApiParameter(
    "force",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="Delete even though other measures relate to this one (otherwise 409): their "
    "relations to it are removed, each of them gets a history version and a new updated_at, "
    "and restoring this measure gives the relations back. true or false (default).",
)


def boolean_parameter(request, name: str) -> bool:
    """A query parameter that is true or false, given at most once; else a 400 naming it."""
    values = request.query_params.getlist(name)
    if not values:
        return False
    if len(values) == 1 and values[0] in ("true", "false"):
        return values[0] == "true"
    raise ValidationError({name: ["Give true or false, once."]}, code="invalid")


@extend_validation_errors(["invalid"], field_name="force", actions=["destroy"])
@extend_validation_errors(
    as_known.ERROR_CODES, field_name=as_known.NAME, actions=["list", "retrieve"]
)
@extend_validation_errors([NOT_EXPORTED], field_name="page", actions=["list"])
@extend_validation_errors([NOT_EXPORTED], field_name="page_size", actions=["list"])
@extend_validation_errors([NOT_EXPORTED], field_name="facets", actions=["list"])
@extend_schema_view(
    list=extend_schema(summary="List measures", description="Measures, filtered and ordered."),
    retrieve=extend_schema(summary="One measure", parameters=[as_known.PARAMETER]),
    create=extend_schema(summary="Create a measure"),
    update=extend_schema(
        summary="Replace a measure",
        description="Nested lists absent from the body are emptied; read-only fields are ignored.",
    ),
    partial_update=extend_schema(
        summary="Change part of a measure",
        description="Nested lists present in the body are replaced whole; absent ones are kept.",
    ),
    destroy=extend_schema(
        summary="Delete a measure",
        description="A measure other measures relate to is deleted only with force=true; "
        "otherwise the answer is 409, listing them.",
        parameters=[FORCE],
    ),
)
class MeasureViewSet(ExportMixin, FacetsMixin, RowPagesMixin, TimelineViewSet):
    """Dated measures on materials: export controls and the like, with their timeline."""

    export_renderer_classes = ALL_FORMATS
    export_kind = "measures"
    export_columns = MEASURE_COLUMNS
    newest_first_ordering = ("-updated_at", "key")
    not_exported_parameters = ("facets",)
    serializer_class = serializers.MeasureSerializer
    filterset_class = filters.MeasureFilterSet
    rows_of_ids = staticmethod(representation.rows_of_ids)

    def build_page(self, rows: list[dict], request) -> list[dict]:
        """Each measure with its status on the day the list asks about (see the filterset)."""
        filterset = getattr(self, "filterset", None)
        return measure_page(rows, request, getattr(filterset, "status_day", None))

    lookup_field = "key"
    lookup_value_regex = SLUG
    extra_query_parameters = {"destroy": ("force",), "retrieve": (as_known.NAME,)}

    def get_queryset(self):
        if self.action == "retrieve":  # representation() reads the rows it shows
            return Measure.objects.only("pk", "key", "updated_at")
        if self.action == "list":  # pages are plain rows; measure_page computes the status
            return Measure.objects.all()
        return measure_queryset()

    def list(self, request, *args, **kwargs):
        moment = as_known.requested_moment(request)
        if moment is not None:
            return as_known.measure_list(self, request, moment)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        moment = as_known.requested_moment(request)
        if moment is not None:
            return as_known.measure_detail(request, self.kwargs["key"], moment)
        data = self.representation_of(self.kwargs["key"])
        if data is None:
            raise NotFound()
        headers = {
            "ETag": etag_for(data),
            "Last-Modified": last_modified_with_status(parse_datetime(data["updated_at"])),
        }
        return conditional_response(request, data, headers)

    def representation_of(self, key: str) -> dict | None:
        """What GET shows of the measure ``key`` (None: there is none), read by key with its
        stored representation: no model instance is loaded first."""

        def compute() -> dict | None:
            rows = representation.rows_of_key(key)
            return measure_page(rows, self.request)[0] if rows else None

        return cached_read(self.request, ("measure", key), compute)

    def representation(self, instance) -> dict:
        return self.representation_of(instance.key)

    def destroy(self, request, *args, **kwargs):
        self.force = boolean_parameter(request, "force")
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance):
        try:
            delete_measure(instance, force=self.force)
        except MeasureInUse as error:
            raise Conflict(
                f"{instance.key} is referred to by {', '.join(error.referrers)}. Remove those "
                "relations first, or delete with force=true to remove them too (each of those "
                f"measures gets a history version, and restoring {instance.key} gives them back)."
            ) from error


@extend_schema_view(
    list=extend_schema(summary="List materials"),
    retrieve=extend_schema(summary="One material"),
)
@extend_validation_errors(["invalid"], field_name="hs_codes", methods=["post", "put", "patch"])
@extend_validation_errors([NOT_EXPORTED], field_name="page", actions=["list"])
@extend_validation_errors([NOT_EXPORTED], field_name="page_size", actions=["list"])
class MaterialViewSet(ExportMixin, TimelineViewSet):
    """Materials and the groups they belong to (groups nest)."""

    export_renderer_classes = TABULAR
    export_kind = "materials"
    export_columns = MATERIAL_COLUMNS
    serializer_class = serializers.MaterialSerializer
    filterset_class = filters.MaterialFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG

    def get_queryset(self):
        return material_queryset()


@extend_validation_errors(["invalid"], field_name="kind", methods=["post", "put", "patch"])
class JurisdictionViewSet(TimelineViewSet):
    """Countries and blocs that issue measures or are their targets."""

    queryset = Jurisdiction.objects.all()
    serializer_class = serializers.JurisdictionSerializer
    filterset_class = filters.JurisdictionFilterSet
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


@extend_schema_view(
    list=extend_schema(
        summary="List HS chapters",
        description="The chapters of the HS 2022 nomenclature in code order; each chapter's "
        "resource lists its headings.",
    ),
    retrieve=extend_schema(
        summary="One HS code",
        description="A chapter, heading or subheading with its parents and direct children. "
        "A national tariff line (8 to 10 digits) is answered with the subheading it extends, "
        "and a note; a code the nomenclature does not list is 404.",
    ),
)
class HSCodeViewSet(
    StrictQueryParametersMixin,
    SharedReadMixin,
    ConditionalRequestsMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The Harmonized System nomenclature (WCO, 2022 edition), built in and read-only."""

    lookup_field = "code"
    lookup_value_regex = "[0-9.]+"
    filter_backends: list = []
    # ConditionalRequestsMixin brings update and destroy handlers; this resource has neither.
    http_method_names = ["get", "head", "options"]
    national_line: str | None = None  # set by get_object when a national line was asked for

    def get_queryset(self):
        if self.action == "list":
            return HSCode.objects.filter(level=HSLevel.CHAPTER)
        return HSCode.objects.select_related("parent__parent").prefetch_related("children")

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.HSCodeReferenceSerializer
        return serializers.HSCodeSerializer

    def get_object(self):
        code = normalize_hs_code(self.kwargs["code"])
        entry = self.get_queryset().resolve(code)
        if entry is None:
            raise NotFound(
                f"{code} is not in the HS 2022 nomenclature: give a listed chapter, heading or "
                "subheading (2, 4 or 6 digits), or a national line under a listed subheading."
            )
        self.check_object_permissions(self.request, entry)
        self.national_line = code if code != entry.code else None
        return entry

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "national_line": self.national_line}


@extend_validation_errors([NOT_EXPORTED], field_name="page", methods=["get"])
@extend_validation_errors([NOT_EXPORTED], field_name="page_size", methods=["get"])
class EventFeedView(
    ExportMixin, StrictQueryParametersMixin, SharedReadMixin, RowPagesMixin, generics.ListAPIView
):
    """One chronological feed of events across all measures."""

    export_renderer_classes = DATED
    export_kind = "events"
    export_columns = EVENT_COLUMNS
    serializer_class = serializers.TimelineEventSerializer
    filterset_class = filters.EventFilterSet
    row_fields = EVENT_ROW_FIELDS
    build_page = staticmethod(event_page)
    queryset = event_queryset()

    @extend_schema(summary="Events across all measures")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_validation_errors(as_known.ERROR_CODES, field_name=as_known.NAME, methods=["get"])
class MeasureTimelineView(EventFeedView):
    """A measure's timeline: its recorded events and the entries its dates imply, by date."""

    extra_query_parameters = {"get": (as_known.NAME,)}

    def get_queryset(self):
        measure = get_object_or_404(Measure.objects.only("pk"), key=self.kwargs["key"])
        return event_queryset().filter(measure=measure)

    @extend_schema(summary="A measure's timeline", parameters=[as_known.PARAMETER])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        moment = as_known.requested_moment(request)
        if moment is not None:
            return as_known.measure_timeline(self, request, self.kwargs["key"], moment)
        return super().list(request, *args, **kwargs)


class MaterialTimelineView(EventFeedView):
    """Events of every measure that matches the material, groups expanded both ways."""

    def get_queryset(self):
        if self.filters_given():  # counted as listed: read by measure
            return events_matching(event_queryset(), [self.material])
        return events_in_timeline_order(event_queryset(), self.material.pk)

    def count_queryset(self) -> int | None:
        """Unfiltered, the timeline's length as kept per material (``timeline.counts``);
        filtered, the list is counted."""
        if self.filters_given():
            return None
        return timeline_event_count(self.material.pk)

    @cached_property
    def material(self) -> Material:
        return get_object_or_404(Material.objects.only("pk"), slug=self.kwargs["slug"])

    @extend_schema(summary="A material's timeline")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


class MeasureHistoryView(StrictQueryParametersMixin, generics.ListAPIView):
    """Every recorded version of a measure, newest first, with what each one changed. Works
    for deleted measures too, so they can be found and restored. Who made each change is shown
    to authenticated readers only (editors' user names are not public), which is also why this
    view is not a shared read."""

    serializer_class = serializers.MeasureVersionSerializer
    filter_backends: list = []

    def get_queryset(self):
        return Measure.history.none()  # for the schema; list() builds the versions

    @extend_schema(summary="A measure's history")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def list(self, request, *args, **kwargs):
        show_users = request.user.is_authenticated
        rows = Measure.history.filter(key=self.kwargs["key"]).order_by("history_date", "history_id")
        rows = list(rows.select_related("history_user") if show_users else rows)
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
                    "user": (
                        row.history_user.get_username() if show_users and row.history_user else None
                    ),
                    "reason": row.history_change_reason,
                    "changes": changed_fields(previous, snapshot),
                    "measure": snapshot,
                }
            )
            previous = snapshot
        versions.reverse()
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


HISTORY_MOVED = (
    "Deprecated: the same as /api/v1/history/measures/{key}/. A measure's history outlives the "
    "measure, so it has its own address outside the measure's."
)


class NestedMeasureHistoryView(MeasureHistoryView):
    """The history at its first address, under the measure's (deprecated)."""

    @extend_schema(summary="A measure's history (deprecated address)", deprecated=True,
                   description=HISTORY_MOVED)  # fmt: skip
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MeasureRestoreView(StrictQueryParametersMixin, generics.GenericAPIView):
    """Bring a measure back to one of its versions, nested parts included. A deleted measure
    is recreated with its original created_at, and the measures that related to it when it was
    deleted (those that still exist) get those relations back, each with a history version.
    Needs the add and change permissions on measures."""

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
        if request.data:  # nothing is taken from a body, so none is silently dropped
            names = request.data if isinstance(request.data, dict) else ["body"]
            raise ValidationError(
                {
                    name: [ErrorDetail("Restoring takes no body.", code=serializers.UNKNOWN_FIELD)]
                    for name in names
                }
            )
        row = get_object_or_404(Measure.history.all(), key=key, history_id=version)
        existed = Measure.objects.filter(key=key).exists()
        try:
            measure = restore_version(row, reason=f"restored version {version}")
        except DjangoValidationError as error:
            raise Conflict(" ".join(error.messages)) from error
        body = self.get_serializer(measure_queryset().get(pk=measure.pk)).data
        return Response(body, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class NestedMeasureRestoreView(MeasureRestoreView):
    """Restoring at its first address, under the measure's (deprecated)."""

    @extend_schema(
        summary="Restore a version of a measure (deprecated address)",
        deprecated=True,
        description="Deprecated: the same as /api/v1/history/measures/{key}/{version}/restore/.",
        request=None,
        responses={200: serializers.MeasureSerializer, 201: serializers.MeasureSerializer},
    )
    def post(self, request, key: str, version: int):
        return super().post(request, key, version)
