"""Pages people look at: the front page and the timeline pictures, rendered on the server from
Django templates (``pages/templates/pages/``) with local static files only.

The pictures take the query parameters of ``GET /api/v1/measures/`` (the same filter set,
read by the same strict rules: unknown, repeated and empty parameters are refused, each named
with the reason, as a 400 page), plus ``from_year`` and ``to_year`` to zoom, and ``page``.
"""

from __future__ import annotations

import re

from django.core.paginator import EmptyPage, Paginator
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from rest_framework.exceptions import ValidationError

from api.filters import MeasureFilterSet
from api.parameters import check_query_parameters, list_valued_filters, merged_query
from timeline.models import EventType, Material, Measure, MeasureEvent, MeasureMaterial
from timeline.status import MeasureStatus

from .charts import EVENT_SHAPES, STATUS_PATTERNS, chart_row, precision_of, scale_for, written
from .questions import available_questions

MEASURES_PER_PICTURE = 100
YEAR_PARAMETERS = ("from_year", "to_year")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
LATEST_EVENTS = 8
# The filters the picture's form offers (any other of the API's works in the address).
FORM_FILTERS = ("material", "jurisdiction", "target", "measure_type", "status", "as_of")
RECENTLY_UPDATED = 5


class PictureFilters(MeasureFilterSet):
    """The measures list's filters: a picture draws today's timeline, with no facets (an
    answer as known on a past moment is the API's alone)."""


for _name in ("facets", "as_known_on"):
    del PictureFilters.base_filters[_name]
    del PictureFilters.declared_filters[_name]


def front_page(request: HttpRequest) -> HttpResponse:
    """What RegWatch is, the questions it answers (live links), the latest changes, and the
    way to the docs, the admin, feeds and exports."""
    today = timezone.localdate()
    latest_events = (
        MeasureEvent.objects.filter(date__lte=today)
        .select_related("measure")
        .order_by("-date", "type", "id")[:LATEST_EVENTS]
    )
    recently_updated = Measure.objects.with_status(today).order_by("-updated_at", "key")[
        :RECENTLY_UPDATED
    ]
    context = {
        "today": today,
        "questions": available_questions(),
        "latest_events": [
            (event, written(event.date, precision_of(event, "date"))) for event in latest_events
        ],
        "recently_updated": [
            (measure, MeasureStatus(measure.status).label if measure.status else None)
            for measure in recently_updated
        ],
        "measure_count": Measure.objects.count(),
        "material_count": Material.objects.count(),
    }
    return render(request, "pages/front.html", context)


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site for /favicon.ico (the admin and the browsable API name none)."""
    return HttpResponsePermanentRedirect(static("pages/favicon.svg"))


def picture_queryset():
    return Measure.objects.select_related("jurisdiction").prefetch_related(
        Prefetch("events", queryset=MeasureEvent.objects.order_by("date", "type", "id"))
    )


def _years(query, errors: dict[str, list[str]]) -> tuple[int | None, int | None]:
    years = {}
    for name in YEAR_PARAMETERS:
        value = query.get(name)
        if value is None:
            years[name] = None
        elif not re.fullmatch(r"\d{4}", value) or not EARLIEST_YEAR <= int(value) <= LATEST_YEAR:
            errors[name] = [f"Give a year as YYYY, from {EARLIEST_YEAR} to {LATEST_YEAR}."]
        else:
            years[name] = int(value)
    first, last = years.get("from_year"), years.get("to_year")
    if first is not None and last is not None and first > last:
        errors["to_year"] = ["`to_year` comes before `from_year`: give the earlier year first."]
    return first, last


def _strict(query, accepted: set[str], list_valued: set[str]) -> dict[str, list[str]]:
    try:
        check_query_parameters(query, accepted, list_valued)
    except ValidationError as error:
        return {name: [str(text) for text in texts] for name, texts in error.detail.items()}
    return {}


def _with_query(request: HttpRequest, **changes) -> str:
    """This page's address with parameters replaced (None removes one)."""
    query = request.GET.copy()
    query.pop("page", None)  # another zoom or filter starts from the first page
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = str(value)
    return f"{request.path}?{query.urlencode()}" if query else request.path


def _zoom(request: HttpRequest, full, scale) -> dict:
    """Links to see one year, all years, or the neighbouring years."""
    first, last = scale.first_year, scale.last_year
    span = last - first + 1

    def years(start: int, end: int) -> str | None:
        if start < EARLIEST_YEAR or end > LATEST_YEAR:
            return None
        return _with_query(request, from_year=start, to_year=end)

    shown = range(min(full.first_year, first), max(full.last_year, last) + 1)
    return {
        "all": _with_query(request, from_year=None, to_year=None),
        "zoomed": (first, last) != (full.first_year, full.last_year),
        "years": [
            {"year": year, "url": years(year, year), "current": first == last == year}
            for year in shown
        ],
        "earlier": years(first - span, first - 1),
        "later": years(last + 1, last + span),
        "wider": years(max(EARLIEST_YEAR, first - 1), min(LATEST_YEAR, last + 1)),
    }


def _legend() -> dict:
    return {
        "statuses": [
            {"value": str(status), "label": status.label, "pattern": STATUS_PATTERNS[status]}
            for status in MeasureStatus
        ],
        "events": [
            {"value": str(event), "label": event.label, "shape": EVENT_SHAPES[event]}
            for event in EventType
        ],
    }


def _chart_context(request, measures: list[Measure], first_year, last_year) -> dict:
    today = timezone.localdate()
    full = scale_for(measures, today)
    scale = scale_for(measures, today, first_year, last_year)
    return {
        "scale": scale,
        "years": scale.years(),
        "rows": [chart_row(measure, scale) for measure in measures],
        "today": today,
        "today_x": scale.x(today) if scale.shows(today) else None,
        "zoom": _zoom(request, full, scale),
        "legend": _legend(),
    }


def timeline_picture(request: HttpRequest) -> HttpResponse:
    """``/timeline/?material=dysprosium&jurisdiction=CN``: the measures the API would list for
    the same parameters, each a bar across its dates coloured and patterned by status."""
    filterset_class = PictureFilters
    list_valued = list_valued_filters(filterset_class)
    accepted = {*filterset_class.base_filters, *YEAR_PARAMETERS, "page"}
    errors = _strict(request.GET, accepted, list_valued)
    first_year, last_year = _years(request.GET, errors)
    page_number = request.GET.get("page", "1")
    if "page" not in errors and not re.fullmatch(r"[1-9]\d{0,6}", page_number):
        errors["page"] = ["Give a page as a whole number from 1."]
    filterset = None
    if not errors:
        data = merged_query(request.GET, list_valued)
        for name in (*YEAR_PARAMETERS, "page"):
            data.pop(name, None)
        filterset = filterset_class(data=data, queryset=picture_queryset(), request=request)
        if not filterset.is_valid():
            errors = {name: list(messages) for name, messages in filterset.errors.items()}
    context = {
        "filters": [
            {
                "name": name,
                "help": filterset_class.base_filters[name].extra.get("help_text"),
                "value": request.GET.get(name, ""),
            }
            for name in FORM_FILTERS
        ],
        "asked": [(name, value) for name, value in request.GET.items() if name != "page"],
        "api_url": reverse("api:measure-list"),
    }
    if errors:
        context["errors"] = sorted(errors.items())
        return render(request, "pages/timeline.html", context, status=400)
    queryset = filterset.qs
    if not request.GET.get("ordering"):
        queryset = queryset.order_by(F("effective_on").asc(nulls_last=True), "key")
    paginator = Paginator(queryset, MEASURES_PER_PICTURE)
    try:
        page = paginator.page(int(page_number))
    except EmptyPage:
        raise Http404(f"No page {page_number}: the picture has {paginator.num_pages}.") from None
    measures = list(page.object_list)
    api_query = [(k, v) for k, v in request.GET.items() if k not in (*YEAR_PARAMETERS, "page")]
    context.update(_chart_context(request, measures, first_year, last_year))
    context["page"], context["count"] = page, paginator.count
    if api_query:
        context["api_url"] += f"?{urlencode(api_query)}"
    if page.has_previous():
        context["previous_url"] = _with_query(request, page=page.previous_page_number())
    if page.has_next():
        context["next_url"] = _with_query(request, page=page.next_page_number())
    return render(request, "pages/timeline.html", context)


def measure_picture(request: HttpRequest, key: str) -> HttpResponse:
    """One measure's page: its bar, its events, materials and sources."""
    errors = _strict(request.GET, set(YEAR_PARAMETERS), set())
    first_year, last_year = _years(request.GET, errors)
    queryset = picture_queryset().prefetch_related(
        Prefetch(
            "material_links",
            queryset=MeasureMaterial.objects.select_related("material").order_by("material__name"),
        ),
        "sources",
        "authorities",
        "target_jurisdictions",
    )
    measure = get_object_or_404(queryset, key=key)
    context = {"measure": measure, "api_url": measure.get_absolute_url()}
    if errors:
        context["errors"] = sorted(errors.items())
        return render(request, "pages/measure.html", context, status=400)
    context.update(_chart_context(request, [measure], first_year, last_year))
    context["status"] = measure.status_on(context["today"])
    context["status_confirmed"] = measure.status_confirmed_on(context["today"])
    context["status_certain"] = measure.status_certain_on(context["today"])
    context["events"] = [
        (event, written(event.date, precision_of(event, "date"))) for event in measure.events.all()
    ]
    return render(request, "pages/measure.html", context)
