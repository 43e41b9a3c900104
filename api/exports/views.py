"""The hook the list views take: ``ExportMixin`` answers a list in an export format by
streaming every matching row, with the JSON list's filters, ordering and row builder."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from itertools import islice

from django.http import HttpResponseNotModified, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, http_date
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api.conditional import not_modified
from api.pages import as_rows
from api.parameters import FORMAT_PARAMETER

from .atom import AtomRenderer
from .base import (
    Export,
    ExportRenderer,
    export_etag,
    export_filename,
    export_last_modified,
    export_title,
)
from .calendars import ICSRenderer
from .columns import Column
from .tabular import CSVRenderer, NDJSONRenderer, XLSXRenderer

# Rows read, built and written at a time: each chunk costs the row builder's few queries
# (one per nested relation) whatever its size, and memory holds one chunk.
CHUNK_SIZE = 1000

# The error code of a JSON list parameter given with an export format (page, page_size...).
NOT_EXPORTED = "not_exported"
TABULAR = (CSVRenderer, XLSXRenderer, NDJSONRenderer)
DATED = (*TABULAR, ICSRenderer)
ALL_FORMATS = (*TABULAR, AtomRenderer, ICSRenderer)


def batched(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


def not_exported(name: str, paging: tuple[str, ...], format_: str) -> str:
    if name in paging:
        return f"An export ({format_}) is not paged: it holds every matching row. Leave out {name}."
    return f"`{name}` belongs to the JSON list: an export ({format_}) has no place for it."


def without_format(request: Request) -> Request:
    """The request as if ``format`` had not been given (``reverse`` copies it into links)."""
    plain = copy.copy(request._request)
    plain.GET = plain.GET.copy()
    plain.GET.pop(FORMAT_PARAMETER, None)
    return Request(plain)


class ExportMixin:
    """For list views: the formats in ``export_renderer_classes`` besides JSON, on the list
    only. An export is not paged (``page`` and ``page_size`` are refused with it), reads the
    filtered queryset with ``iterator()`` and builds each chunk of rows as the JSON list does
    (``build_page`` over ``rows_of_ids`` or ``row_fields`` where the view has them, else its
    serializer). Errors
    are answered in JSON whatever the format asked for."""

    export_renderer_classes: tuple[type[ExportRenderer], ...] = TABULAR
    export_kind: str
    export_columns: tuple[Column, ...]
    # A feed's order when the request names none: the newest change first.
    newest_first_ordering: tuple[str, ...] = ()
    # Parameters of the JSON list that an export has no place for (refused with one).
    not_exported_parameters: tuple[str, ...] = ()

    def lists(self) -> bool:
        return getattr(self, "action", "list") == "list"

    @property
    def renderer_classes(self):
        base = list(super().renderer_classes)
        return [*base, *self.export_renderer_classes] if self.lists() else base

    def list(self, request, *args, **kwargs):
        renderer = request.accepted_renderer
        if not isinstance(renderer, ExportRenderer):
            return super().list(request, *args, **kwargs)
        paging = (self.paginator.page_query_param, self.paginator.page_size_query_param)
        refused = {
            name: [ErrorDetail(not_exported(name, paging, renderer.format), code=NOT_EXPORTED)]
            for name in (*paging, *self.not_exported_parameters)
            if name in request.query_params
        }
        if refused:
            raise ValidationError(refused)
        queryset = self.filter_queryset(self.get_queryset())
        if renderer.newest_first and "ordering" not in request.query_params:
            queryset = queryset.order_by(*self.newest_first_ordering)
        last_modified = export_last_modified()
        headers = {
            "ETag": export_etag(request, renderer),
            "Last-Modified": http_date(last_modified.timestamp()),
        }
        if not_modified(
            request.headers.get("If-None-Match"),
            request.headers.get("If-Modified-Since"),
            headers["ETag"],
            headers["Last-Modified"],
        ):
            response = HttpResponseNotModified(headers=headers)
        elif request.method == "HEAD":  # the headers only (no length): no row is read
            response = StreamingHttpResponse(
                iter(()), content_type=renderer.content_type, headers=headers
            )
        else:
            export = Export(
                kind=self.export_kind,
                chunks=self.export_chunks(queryset),
                columns=self.export_columns,
                request=request,
                title=export_title(request, self.export_kind),
                last_modified=last_modified,
            )
            response = StreamingHttpResponse(
                renderer.stream(export), content_type=renderer.content_type, headers=headers
            )
        if renderer.attachment and response.status_code == 200:
            response["Content-Disposition"] = content_disposition_header(
                True, export_filename(request, renderer.format)
            )
        patch_vary_headers(response, ["Accept"])
        return response

    def export_chunks(self, queryset) -> Iterator[list[dict]]:
        """The JSON list's items, ``CHUNK_SIZE`` at a time, read as one streamed query."""
        request = self.request
        if getattr(self, "rows_of_ids", None) is not None:
            ids = queryset.prefetch_related(None).values_list("pk", flat=True)
            for batch in batched(ids.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
                yield self.build_page(self.rows_of_ids(list(batch)), request)
        elif hasattr(self, "build_page"):
            rows = as_rows(queryset, self.row_fields).iterator(chunk_size=CHUNK_SIZE)
            for batch in batched(rows, CHUNK_SIZE):
                yield self.build_page(batch, request)
        else:
            # Links in the items are the JSON list's, without the ?format= DRF would keep.
            context = {**self.get_serializer_context(), "request": without_format(request)}
            serializer_class = self.get_serializer_class()
            for batch in batched(queryset.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
                yield serializer_class(batch, many=True, context=context).data

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response) and isinstance(
            getattr(request, "accepted_renderer", None), ExportRenderer
        ):
            json = self.get_renderers()[0]  # the default representation
            request.accepted_renderer, request.accepted_media_type = json, json.media_type
        return super().finalize_response(request, response, *args, **kwargs)
