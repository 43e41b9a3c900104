"""Query parameters of the list endpoints. Every filter says what it does in ``help_text``;
bad values are refused (400 naming the parameter) rather than ignored."""

from __future__ import annotations

import copy
import datetime

import django_filters
from django.db.models import F, QuerySet
from django.http import QueryDict
from django.template import loader
from django.utils import timezone
from django.utils.functional import cached_property
from django_filters.rest_framework import DjangoFilterBackend

from timeline.counts import measures_in_force_count
from timeline.facets import FACETS
from timeline.matches import MatchedInForcePeriod
from timeline.models import (
    Authority,
    EventType,
    Jurisdiction,
    Material,
    MaterialCategory,
    Measure,
    MeasureEvent,
    MeasureType,
    Sector,
)
from timeline.periods import measures_in_force_listing
from timeline.querysets import events_matching
from timeline.search import matching_ids, search_measures
from timeline.status import MeasureStatus

from . import as_known
from .facets import FACETS_HELP
from .hs_filters import HS_HELP, HSCodeFilter
from .parameters import (
    DATE_SCHEMA,
    MOMENT_SCHEMA,
    ChoiceCSVField,
    ISODateField,
    ModelCSVField,
    OrderingCSVField,
    RFC3339Field,
    document,
    in_utc,
    list_valued_filters,
    merged_query,
    reference_format,
)

GROUP_FORMAT = "material-group-slug"
SLUG_ITEM_SCHEMA = {"type": "string", "minLength": 1, "pattern": r"^\s*[-a-zA-Z0-9_]+\s*$"}
CODE_ITEM_SCHEMA = {"type": "string", "minLength": 1, "pattern": r"^\s*[A-Za-z0-9]+\s*$"}


class ModelCSVFilter(django_filters.filters.BaseCSVFilter, django_filters.CharFilter):
    """``?jurisdiction=CN,US``: any of the named objects. Many-valued relations are matched
    with a semi-join, so a measure appears once however many values it matches."""

    base_field_class = ModelCSVField

    def __init__(
        self,
        *args,
        queryset: QuerySet,
        to_field_name: str,
        normalize=None,
        value_format: str | None = None,
        **kwargs,
    ):
        super().__init__(
            *args, queryset=queryset, to_field_name=to_field_name, normalize=normalize, **kwargs
        )
        item = CODE_ITEM_SCHEMA if normalize is str.upper else SLUG_ITEM_SCHEMA
        value_format = value_format or reference_format(queryset.model, to_field_name)
        document(self, {**item, "format": value_format})

    def filter(self, qs, value):
        if not value:
            return qs
        field = qs.model._meta.get_field(self.field_name.split("__")[0])
        if field.many_to_many:
            # A semi-join on the link table: no duplicates, and driven by its index.
            through = field.remote_field.through
            own = field.m2m_field_name()
            other = field.m2m_reverse_field_name()
            return qs.filter(pk__in=through.objects.filter(**{f"{other}__in": value}).values(own))
        return qs.filter(**{f"{self.field_name}__in": value})


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet without its per-request rebuild. It deep-copies every
    filter (querysets and choices included) and builds a new form class from new form fields
    for each request: on the measures list that was a tenth of the request's time. Filters
    hold no request state but the ``parent`` and ``model`` set here, so each request gets
    shallow copies; the form class is built once per filterset class (each form still
    deep-copies its fields, as every Django form does)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {name: copy.copy(filter_) for name, filter_ in self.base_filters.items()}
        for filter_ in self.filters.values():
            filter_.model = queryset.model
            filter_.parent = self
            if filter_.method is not None:
                filter_.method = filter_.method  # binds the copy's FilterMethod to the copy

    def get_form_class(self):
        """The form of the fields the query names, and of any whose absence still cleans to a
        value: a request names two or three of twenty-odd filters, and building and cleaning
        every field was a millisecond of each list request. The classes are built once per
        filterset class and set of names."""
        cls = type(self)
        if "_form_classes" not in cls.__dict__:
            full = super().get_form_class()
            cls._form_classes = {None: full}
            cls._always_cleaned = frozenset(
                name for name, field in full.base_fields.items() if _cleans_absent(name, field)
            )
        named = frozenset(
            name
            for name in self.filters
            if any(key == name or key.startswith(f"{name}_") for key in self.data)
        )
        wanted = named | cls._always_cleaned
        if wanted not in cls._form_classes:
            full = cls._form_classes[None]
            fields = {name: full.base_fields[name] for name in full.base_fields if name in wanted}
            cls._form_classes[wanted] = type(full.__name__, (self._meta.form,), fields)
        return cls._form_classes[wanted]

    def full_form(self):
        """The form of every filter, bound to the query: the browsable API shows it."""
        self.get_form_class()
        form_class = type(self)._form_classes[None]
        return form_class(self.data, prefix=self.form_prefix) if self.is_bound else form_class()


def _cleans_absent(name: str, field) -> bool:
    """Whether ``field`` left out of a query cleans to something other than nothing (or
    fails), so it must be cleaned whether or not the query names it."""
    try:
        value = field.clean(field.widget.value_from_datadict(QueryDict(), {}, name))
    except Exception:
        return True
    return value not in (None, "", [], (), {})


def _csv_help(text: str) -> str:
    return f"{text} Several values: comma-separated, or the parameter repeated."


def code_filter(field_name: str, help_text: str) -> ModelCSVFilter:
    """Jurisdictions by ISO 3166-1 or bloc code, matched case-insensitively (ISO 3166-1
    codes are case-insensitive; we store them upper-case)."""
    return ModelCSVFilter(
        field_name=field_name,
        queryset=Jurisdiction.objects.all(),
        to_field_name="code",
        normalize=str.upper,
        help_text=_csv_help(help_text),
    )


class ChoiceCSVFilter(django_filters.filters.BaseInFilter, django_filters.ChoiceFilter):
    """``?measure_type=export_prohibition,export_quota``: any of the listed values."""

    base_field_class = ChoiceCSVField


class ISODateFilter(django_filters.DateFilter):
    """A day, as YYYY-MM-DD only."""

    field_class = ISODateField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document(self, DATE_SCHEMA)


class MomentSinceFilter(django_filters.Filter):
    """Rows whose ``field_name`` is at or after an RFC 3339 moment. A moment past the years
    Python can hold in UTC (9999-12-31T23:59:59-14:00) comes after everything; one before
    them, before everything: the same answer on SQLite as PostgreSQL gives."""

    field_class = RFC3339Field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        document(self, MOMENT_SCHEMA)

    def filter(self, qs, value):
        if value is None:
            return qs
        moment = in_utc(value)
        if moment is None:
            return qs.none() if value.utcoffset() < datetime.timedelta(0) else qs
        return qs.filter(**{f"{self.field_name}__gte": moment})


class MomentFilter(django_filters.Filter):
    """A moment, RFC 3339 with an offset, read by the view rather than applied here."""

    field_class = RFC3339Field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, method="filter_noop", **kwargs)
        document(self, MOMENT_SCHEMA)


class StableOrderingFilter(django_filters.OrderingFilter):
    """Ordering with NULLs last in both directions and a tie-break that makes pages stable."""

    base_field_class = OrderingCSVField

    def __init__(self, *args, tiebreak: tuple[str, ...], fields: list[str], **kwargs):
        self.tiebreak = tiebreak
        super().__init__(*args, fields=fields, **kwargs)
        self.extra["fields"] = list(self.param_map)

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = []
        for param in value:
            expression = F(self.param_map[param.lstrip("-")])
            ordering.append(
                expression.desc(nulls_last=True)
                if param.startswith("-")
                else expression.asc(nulls_last=True)
            )
        return qs.order_by(*ordering, *self.tiebreak)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter reading the query with repeated list parameters joined by commas, so
    ``?jurisdiction=CN&jurisdiction=US`` means ``?jurisdiction=CN,US``. In the browsable API
    its form labels each field with the parameter's name and help text, and sends only the
    fields filled in (an empty parameter is refused)."""

    template = "api/filter_form.html"

    def to_html(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return None
        filterset._form = filterset.full_form()
        for name, field in filterset.form.fields.items():
            field.label = name
            field.help_text = str(filterset.filters[name].extra.get("help_text") or "")
        return loader.get_template(self.template).render({"filter": filterset}, request)

    def get_filterset(self, request, queryset, view):
        """The filterset, also kept on the view (``view.filterset``) for its count. For the
        schema (drf-spectacular's ``swagger_fake_view``), with the form of every filter: the
        error codes it documents are read off the form's fields."""
        view.filterset = super().get_filterset(request, queryset, view)
        if view.filterset is not None and getattr(view, "swagger_fake_view", False):
            view.filterset._form = view.filterset.full_form()
        return view.filterset

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        kwargs["data"] = merged_query(kwargs["data"], list_valued_filters(filterset_class))
        return kwargs


class MeasureFilterSet(FilterSet):
    jurisdiction = code_filter("jurisdiction", "Issuing jurisdiction code, e.g. CN.")
    authority = ModelCSVFilter(
        field_name="authorities",
        queryset=Authority.objects.all(),
        to_field_name="slug",
        help_text=_csv_help("Slug of an issuing authority, e.g. mofcom."),
    )
    measure_type = ChoiceCSVFilter(
        choices=MeasureType.choices,
        help_text=_csv_help("Type of measure."),
    )
    target = code_filter(
        "target_jurisdictions", "Code of a jurisdiction the measure is aimed at, e.g. US."
    )
    sector = ModelCSVFilter(
        field_name="sectors",
        queryset=Sector.objects.all(),
        to_field_name="slug",
        help_text=_csv_help("Slug of an affected sector, e.g. electric-vehicles."),
    )
    material = ModelCSVFilter(
        queryset=Material.objects.all(),
        to_field_name="slug",
        method="filter_material",
        help_text=_csv_help(
            "Slug of a material. Matches measures that list it, any group containing it "
            "(transitively) and, for a group, any of its members (transitively)."
        ),
    )
    hs = HSCodeFilter(method="filter_hs")
    material_category = ChoiceCSVFilter(
        choices=MaterialCategory.choices,
        method="filter_material_category",
        help_text=_csv_help(
            "Category of an affected material, with the same group matching as `material`."
        ),
    )
    status = ChoiceCSVFilter(
        choices=MeasureStatus.choices,
        method="filter_noop",
        help_text=_csv_help(
            "Status on the `as_of` day (default `in_force_on` when given, else today), the day "
            "each listed measure's `status` is shown for."
        ),
    )
    as_of = ISODateFilter(
        method="filter_noop",
        help_text="Day on which `status` is evaluated, as a filter and in each measure's "
        "`status`, `status_confirmed` and `status_certain` (YYYY-MM-DD); default `in_force_on` "
        "when given, else today (UTC).",
    )
    in_force_on = ISODateFilter(
        method="filter_in_force_on",
        help_text="Only measures in force on this day (YYYY-MM-DD): status=in_force&as_of=DAY.",
    )
    announced_after = ISODateFilter(
        field_name="announced_on", lookup_expr="gte", help_text="Announced on or after this day."
    )
    announced_before = ISODateFilter(
        field_name="announced_on", lookup_expr="lte", help_text="Announced on or before this day."
    )
    effective_after = ISODateFilter(
        field_name="effective_on", lookup_expr="gte", help_text="In force from this day or later."
    )
    effective_before = ISODateFilter(
        field_name="effective_on",
        lookup_expr="lte",
        help_text="In force from this day or earlier.",
    )
    updated_since = MomentSinceFilter(
        field_name="updated_at",
        help_text=(
            "Only measures changed at or after this moment, RFC 3339 with an offset "
            "(2025-06-01T00:00:00Z; write `+` as %2B): for incremental sync, pass the newest "
            "`updated_at` you hold."
        ),
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text=(
            "Full-text search over key, title, reference, summary, notes, the names and "
            "symbols of the materials (with their groups and members, as `material` matches "
            "them), scope texts, authority names and source titles. Every word must match; "
            "case, accents, hyphens and word endings do not matter; British and American "
            "spellings and the field's abbreviations (REE, HREE, Ga...) are synonyms; the last "
            "word also matches words it begins. Results come most relevant first unless "
            "`ordering` is given. Punctuation alone finds nothing."
        ),
    )
    as_known_on = MomentFilter(help_text=as_known.DESCRIPTION)
    facets = ChoiceCSVFilter(
        choices=[(facet, facet) for facet in FACETS], method="filter_noop", help_text=FACETS_HELP
    )
    ordering = StableOrderingFilter(
        fields=["effective_on", "announced_on", "updated_at", "title", "key"],
        tiebreak=("key",),
        help_text=(
            "Sort by effective_on, announced_on, updated_at, title or key; prefix `-` for "
            "descending. Default: -effective_on, then key (with `q`: most relevant first, then "
            "key). Empty dates sort last."
        ),
    )

    class Meta:
        model = Measure
        fields: list[str] = []

    def filter_noop(self, queryset, name, value):
        return queryset

    @cached_property
    def material_ids(self) -> set[int]:
        """The ``material`` given, the groups containing them and their members."""
        return Material.objects.related_ids(self.form.cleaned_data["material"])

    @cached_property
    def kept_count(self) -> int | None:
        """For ``material`` (one) with ``in_force_on``, the number of measures it matches in
        force that day, as kept (``timeline.counts``: two index reads); else None."""
        materials = self.form.cleaned_data.get("material")
        day = self.form.cleaned_data.get("in_force_on")
        if not day or not materials or len(materials) != 1:
            return None
        return measures_in_force_count(materials[0].pk, day)

    def _given(self) -> set[str]:
        """The filters the query gives a value (``ordering`` included)."""
        return {
            name for name, value in self.form.cleaned_data.items() if value not in (None, "", [])
        }

    @cached_property
    def page_ids(self) -> QuerySet | None:
        """The ids of the filtered list in page order, read cheaper than from the filtered
        list, or None. For one ``material`` with ``in_force_on`` alone, in the default order:
        the measures' periods per matched material (``timeline.matches``), one index range read
        up to the page."""
        materials = self.form.cleaned_data.get("material")
        if self._given() != {"material", "in_force_on"} or len(materials) != 1:
            return None
        day = self.form.cleaned_data["in_force_on"]
        return MatchedInForcePeriod.objects.in_page_order(materials[0].pk, day)

    def count_queryset(self) -> QuerySet | int | None:
        """What counts the filtered list cheaper than counting it (a query, or the number
        itself), or None. For ``material`` with ``in_force_on`` alone (the ordering changes no
        count): for one material, the number kept (``kept_count``); for several, the distinct
        measures of the stored periods covering the day, counted off one covering index range
        without reading a measure. Both are the number of measures the list holds."""
        if self._given() - {"ordering"} != {"material", "in_force_on"}:
            return None
        if self.kept_count is not None:
            return self.kept_count
        day = self.form.cleaned_data["in_force_on"]
        return measures_in_force_listing(self.material_ids, day).distinct()

    def filter_material(self, queryset, name, materials):
        if self.form.cleaned_data.get("in_force_on"):
            return queryset  # filter_in_force_on matches both at once
        return queryset.matching_materials(materials)

    def filter_material_category(self, queryset, name, categories):
        return queryset.matching_materials(Material.objects.filter(category__in=categories))

    def filter_hs(self, queryset, name, coded):
        """As ``material`` does for the materials the codes concern."""
        return queryset.matching_materials(coded.material_ids)

    def filter_in_force_on(self, queryset, name, day):
        if self.page_ids is not None:  # the same measures, and no group expansion to read
            return queryset.filter(pk__in=self.page_ids)
        if self.form.cleaned_data.get("material"):
            return queryset.in_force_on_listing(day, self.material_ids, matches=self.kept_count)
        return queryset.in_force_on(day)

    def filter_q(self, queryset, name, text):
        return search_measures(queryset, text)

    @property
    def status_day(self) -> datetime.date | None:
        """The day each listed measure's status is shown for: ``as_of``, else ``in_force_on``,
        else None (today); the page computes it (``api.pages.measure_page``)."""
        return self.form.cleaned_data.get("as_of") or self.form.cleaned_data.get("in_force_on")

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        statuses = self.form.cleaned_data.get("status")
        if statuses:  # on the day each listed measure's status is shown for
            queryset = queryset.with_status_in(self.status_day or timezone.localdate(), statuses)
        return queryset


class EventFilterSet(FilterSet):
    date_after = ISODateFilter(
        field_name="date", lookup_expr="gte", help_text="Events on or after this day."
    )
    date_before = ISODateFilter(
        field_name="date", lookup_expr="lte", help_text="Events on or before this day."
    )
    type = ChoiceCSVFilter(
        choices=EventType.choices, method="filter_type", help_text=_csv_help("Event type.")
    )
    jurisdiction = code_filter(
        "measure__jurisdiction", "Issuing jurisdiction of the event's measure."
    )
    material = ModelCSVFilter(
        queryset=Material.objects.all(),
        to_field_name="slug",
        method="filter_material",
        help_text=_csv_help(
            "Slug of a material affected by the event's measure, with group matching."
        ),
    )
    measure = ModelCSVFilter(
        field_name="measure",
        queryset=Measure.objects.all(),
        to_field_name="key",
        help_text=_csv_help("Key of the event's measure."),
    )
    hs = HSCodeFilter(method="filter_hs")
    ordering = StableOrderingFilter(
        fields=["date"],
        tiebreak=("type", "id"),
        help_text="`date` (oldest first, the default) or `-date` (newest first).",
    )

    class Meta:
        model = MeasureEvent
        fields: list[str] = []

    def filter_type(self, queryset, name, types):
        return queryset.of_types(types)

    def filter_material(self, queryset, name, materials):
        return events_matching(queryset, materials)

    def filter_hs(self, queryset, name, coded):
        return events_matching(queryset, coded.material_ids)


class MaterialFilterSet(FilterSet):
    category = ChoiceCSVFilter(choices=MaterialCategory.choices, help_text=_csv_help("Category."))
    group = ModelCSVFilter(
        queryset=Material.objects.filter(category=MaterialCategory.GROUP),
        to_field_name="slug",
        value_format=GROUP_FORMAT,
        method="filter_group",
        help_text=_csv_help("Slug of a group: its members, transitively."),
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Search over name, slug, symbol and CAS number, by the rules of the "
        "measures' `q` (every word, synonyms, the last word as a beginning).",
    )
    hs = HSCodeFilter(
        method="filter_hs",
        help_text=HS_HELP.replace("what concerns materials", "materials"),
    )

    class Meta:
        model = Material
        fields: list[str] = []

    def filter_hs(self, queryset, name, coded):
        return queryset.filter(pk__in=coded.material_ids)

    def filter_group(self, queryset, name, groups):
        members = Material.objects.descendant_ids(groups) - {group.pk for group in groups}
        return queryset.filter(pk__in=members)

    def filter_q(self, queryset, name, text):
        return search_rows(queryset, text, "name", "slug", "symbol", "cas_number")


class AuthorityFilterSet(FilterSet):
    jurisdiction = code_filter("jurisdiction", "Jurisdiction code.")
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Search over name, abbreviation and slug, by the rules of the measures' `q`.",
    )

    class Meta:
        model = Authority
        fields: list[str] = []

    def filter_q(self, queryset, name, text):
        return search_rows(queryset, text, "name", "abbreviation", "slug")


class JurisdictionFilterSet(FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Search over code and name, by the rules of the measures' `q`.",
    )

    class Meta:
        model = Jurisdiction
        fields: list[str] = []

    def filter_q(self, queryset, name, text):
        return search_rows(queryset, text, "code", "name")


def search_rows(queryset: QuerySet, text: str, *fields: str) -> QuerySet:
    """Rows of a small table whose ``fields`` match ``text`` (``timeline.search``)."""
    rows = queryset.model._default_manager.values_list("pk", *fields)
    return queryset.filter(pk__in=matching_ids(rows, text))
