"""``GET /api/v1/changes/``: the change feed (see ``changelog.cursor`` for its guarantee)."""

from __future__ import annotations

from django.db.models import Q
from django.http import QueryDict
from django_filters import utils
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from api.filters import StrictFilterBackend
from api.parameters import StrictQueryParametersMixin
from timeline.models import Measure
from timeline.search import ids_to_nest

from .cursor import changes_after, encode
from .entries import change_entries
from .filters import DEFAULT_LIMIT, MEASURE_FILTERS, ChangeFilterSet
from .models import Action, Kind
from .serializers import ChangePageSerializer


class ChangeFeedView(StrictQueryParametersMixin, generics.GenericAPIView):
    """Every create, update and delete of measures, materials, authorities, jurisdictions
    and sectors, in the order they became visible. Poll with ``after``: no change is missed
    or shown twice, whatever the order in which concurrent writes commit."""

    serializer_class = ChangePageSerializer
    filterset_class = ChangeFilterSet
    filter_backends = [StrictFilterBackend]
    pagination_class = None

    def get_queryset(self):
        return Measure.objects.all()  # what the measure filters run on

    def is_listing(self) -> bool:
        return True

    @extend_schema(
        filters=True,  # not a list view to DRF (no pagination class), but filtered like one
        summary="The change feed",
        description="Changes in the order they became visible, each with an opaque, ordered "
        "`cursor`. Resume with `after`: a client that always passes the last cursor it saw "
        "never misses a change and never sees one twice, even when a transaction that began "
        "earlier commits later. No total count. Measure filters (the measures list's, but "
        "`facets`, `as_known_on` and "
        "`ordering`) keep the changes of the measures that match them now, and every "
        "deletion of a measure (a tombstone holds nothing to filter on); they leave out "
        "other kinds.",
    )
    def get(self, request, *args, **kwargs):
        filterset = StrictFilterBackend().get_filterset(request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        position = cleaned.get("after")
        limit = cleaned.get("limit") or DEFAULT_LIMIT
        changes = changes_after(position)
        if cleaned.get("kind"):
            changes = changes.filter(kind__in=cleaned["kind"])
        if cleaned.get("key"):
            changes = changes.filter(key__in=cleaned["key"])
        if any(name in request.query_params for name in MEASURE_FILTERS):
            changes = changes.filter(kind=Kind.MEASURE).filter(
                Q(action=Action.DELETED) | Q(object_id__in=ids_to_nest(filterset.qs))
            )
        page = list(changes[:limit])
        entries = change_entries(page)
        next_position = page[-1].position if page else position
        next_cursor = encode(next_position) if next_position is not None else None
        next_url = None
        if next_cursor is not None:
            query = QueryDict(mutable=True)
            query.update(request.query_params)
            query["after"] = next_cursor
            next_url = request.build_absolute_uri(request.path) + "?" + query.urlencode()
        data = {"results": entries, "next_cursor": next_cursor, "next": next_url}
        return Response(self.get_serializer(data).data)
