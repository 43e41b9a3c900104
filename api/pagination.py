import functools
from collections.abc import Callable

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from .caching import timeline_cache_key
from .pages import as_rows
from .parameters import whole_number

COUNT_TTL_SECONDS = 3600


class ListedPage(Page):
    """A page that iterates its list as a list: ``Page`` iterates as a ``Sequence``, one
    ``__getitem__`` with its type checks per row, which DRF's ``list(page)`` pays on every
    list request."""

    def __iter__(self):
        if not isinstance(self.object_list, list):
            self.object_list = list(self.object_list)
        return iter(self.object_list)


class VersionedCountPaginator(Paginator):
    """Counting a large filtered set costs more than reading a page of it, and clients page
    through the same filter: counts are cached per request (address and filters, not the
    page), day (statuses move with it) and timeline version (every write moves it)."""

    def __init__(
        self,
        *args,
        count_key: str | None = None,
        count_queryset: QuerySet | int | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.count_key = count_key
        self.count_queryset = count_queryset

    def _get_page(self, *args, **kwargs) -> ListedPage:
        return ListedPage(*args, **kwargs)

    @cached_property
    def count(self) -> int:
        if isinstance(self.count_queryset, int):  # kept, not counted
            return self.count_queryset
        if self.count_key is None or not isinstance(self.object_list, QuerySet):
            return super().count
        key = timeline_cache_key("count", self.count_key)
        value = cache.get(key)
        if value is None:
            counted = self.object_list if self.count_queryset is None else self.count_queryset
            value = counted.count()
            cache.set(key, value, COUNT_TTL_SECONDS)
        return value


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination that refuses a bad ``page_size`` instead of ignoring it."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()
    invalid_page_message = "There is no page {page_number}: {message}."

    count_queryset: QuerySet | int | None = None

    def paginate_rows(
        self,
        queryset: QuerySet,
        fields: tuple[str, ...],
        request,
        view=None,
        *,
        count_queryset: QuerySet | int | None = None,
        rows_of_ids: Callable[[list], list[dict]] | None = None,
        page_ids: QuerySet | None = None,
    ):
        """A page of ``queryset`` as plain rows (see ``as_rows``), counted on
        ``count_queryset`` (a query with the same count, cheaper to run, or the count itself)
        or else on ``queryset`` itself: the rows' joins, which a count does not need, made
        counting a large set several times slower.

        ``rows_of_ids``: the page's ids are read in order first, then this gives their rows
        (``fields``, in the ids' order). Where the page is picked by sorting many matches, the
        sort then carries ids instead of whole rows with their long texts (a third less time
        for measures). ``page_ids``: the ids of ``queryset`` in its order, read cheaper (with
        ``rows_of_ids``)."""
        self.count_queryset = queryset if count_queryset is None else count_queryset
        if rows_of_ids is None:
            return self.paginate_queryset(as_rows(queryset, fields), request, view)
        if page_ids is None:
            page_ids = queryset.prefetch_related(None).values_list("pk", flat=True)
        ids = self.paginate_queryset(page_ids, request, view)
        return None if ids is None else rows_of_ids(list(ids))

    def paginate_queryset(self, queryset, request, view=None):
        params = sorted(
            (name, value)
            for name, value in request.query_params.lists()
            if name not in (self.page_query_param, self.page_size_query_param)
        )
        self.count_key = f"{request.path}?{params}"
        return super().paginate_queryset(queryset, request, view)

    @property
    def django_paginator_class(self):
        return functools.partial(
            VersionedCountPaginator, count_key=self.count_key, count_queryset=self.count_queryset
        )

    def get_page_number(self, request, paginator) -> int:
        """``page`` as a whole number from 1; anything else (``abc``, ``0``, ``1.5``, ``last``)
        is a 400 naming it. A page past the last is a 404 (``paginate_queryset``)."""
        raw = request.query_params.get(self.page_query_param)
        if raw in (None, ""):
            return 1
        number = whole_number(raw)
        if number is None or number < 1:
            raise ValidationError(
                {self.page_query_param: ["Give a whole number from 1 (the first page)."]}
            )
        return number

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = whole_number(raw) or 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        descriptions = {
            "count": "Number of results across all pages.",
            "next": "Link to the next page; null on the last.",
            "previous": "Link to the previous page; null on the first.",
            "results": "This page of results.",
        }
        for name, description in descriptions.items():
            if isinstance(response["properties"][name], dict):  # not the examples' placeholder
                response["properties"][name]["description"] = description
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
                )
                parameter["schema"].update(
                    {"minimum": 1, "maximum": self.max_page_size, "default": self.page_size}
                )
            if parameter["name"] == self.page_query_param:
                parameter["description"] = "Page number, from 1."
                parameter["schema"].update({"minimum": 1})
        return parameters
