from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from simple_history.admin import SimpleHistoryAdmin

from .admin_filters import MaterialListFilter, NeedsReviewListFilter, StatusListFilter
from .admin_forms import (
    ChangeReasonAdminMixin,
    HSCodeListField,
    OneLineNoteMixin,
    change_reason_field,
)
from .admin_history import MeasureHistoryAdminMixin
from .history import record_version
from .models import (
    MEASURE_DATE_FIELDS,
    Authority,
    HSCode,
    Jurisdiction,
    Material,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    MeasureSource,
    Sector,
)
from .precision import partial_date_text
from .protection import measures_using
from .representation import store as representation
from .search import matching_ids, search_measures
from .search.index import index_measures
from .services import delete_measure
from .status import MeasureStatus


def status_label(measure: Measure) -> str:
    """A measure's ``status`` annotations in words, saying when it rests on a plan or on a
    date known only to the month or year."""
    if not measure.status:
        return "not yet announced"
    label = MeasureStatus(measure.status).label
    if not measure.status_confirmed:
        label = f"{label} (unconfirmed)"
    return label if measure.status_certain else f"{label} (uncertain date)"


def timeline_picture_url(material: Material) -> str:
    """The timeline picture of the measures affecting ``material``."""
    return f"{reverse('pages:timeline')}?{urlencode({'material': material.slug})}"


class SharedSearchAdminMixin:
    """The changelist's search box answers as the API's ``q`` does (``timeline.search``): over
    ``shared_search_fields`` for the small tables, the full-text index for measures. The
    autocomplete widgets also keep Django's substring match over ``search_fields``, so the
    first letters typed already offer choices."""

    shared_search_fields: tuple[str, ...] = ()

    def shared_search(self, request, queryset, text):
        rows = self.model._default_manager.values_list("pk", *self.shared_search_fields)
        return queryset.filter(pk__in=matching_ids(rows, text))

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        found = self.shared_search(request, queryset, search_term)
        if request.path.endswith("/autocomplete/"):
            substring, _ = super().get_search_results(request, queryset, search_term)
            either = Q(pk__in=found.values("pk")) | Q(pk__in=substring.values("pk"))
            # Explicitly ordered: a grouped (annotated) queryset does not count as ordered.
            return queryset.filter(either).order_by(*self.model._meta.ordering, "pk"), False
        return found, False


class InUseAdminMixin:
    """The delete confirmation lists the measures that use the record as protected, and
    refuses, as Django does for records a foreign key protects (``timeline.protection``)."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        in_use = [f"Measure: {measure}" for obj in objs for measure in measures_using(obj)]
        return deleted, counts, perms_needed, [*protected, *in_use]


@admin.register(Jurisdiction)
class JurisdictionAdmin(
    SharedSearchAdminMixin, InUseAdminMixin, ChangeReasonAdminMixin, SimpleHistoryAdmin
):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    shared_search_fields = ("code", "name")


@admin.register(HSCode)
class HSCodeAdmin(admin.ModelAdmin):
    """The HS nomenclature is reference data: read here, kept by ``sync_reference_data``."""

    list_display = ["code", "level", "description"]
    list_filter = ["level"]
    search_fields = ["code", "description"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Authority)
class AuthorityAdmin(
    SharedSearchAdminMixin, InUseAdminMixin, ChangeReasonAdminMixin, SimpleHistoryAdmin
):
    list_display = ["abbreviation", "name", "jurisdiction", "website"]
    list_filter = [("jurisdiction", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["jurisdiction"]
    search_fields = ["slug", "abbreviation", "name"]
    shared_search_fields = ("name", "abbreviation", "slug")
    prepopulated_fields = {"slug": ["abbreviation"]}
    autocomplete_fields = ["jurisdiction"]


@admin.register(Sector)
class SectorAdmin(InUseAdminMixin, ChangeReasonAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MaterialForm(forms.ModelForm):
    hs_codes = HSCodeListField(label="HS codes")

    class Meta:
        model = Material
        fields = [
            "name",
            "slug",
            "category",
            "symbol",
            "atomic_number",
            "cas_number",
            "hs_codes",
            "groups",
        ]

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        if groups is not None:
            try:
                self.instance.validate_groups(list(groups))
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


@admin.register(Material)
class MaterialAdmin(SharedSearchAdminMixin, ChangeReasonAdminMixin, SimpleHistoryAdmin):
    form = MaterialForm
    list_display = [
        "name",
        "slug",
        "category",
        "symbol",
        "atomic_number",
        "group_list",
        "member_count",
    ]
    list_filter = ["category", ("groups", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug", "symbol", "cas_number"]
    shared_search_fields = ("name", "slug", "symbol", "cas_number")
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["groups"]
    readonly_fields = ["member_list", "measures_affecting"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category"]}),
        ("Element", {"fields": ["symbol", "atomic_number", "cas_number", "hs_codes"]}),
        ("Groups", {"fields": ["groups", "member_list"]}),
        ("Measures", {"fields": ["measures_affecting"]}),
    ]

    def view_on_site(self, material: Material) -> str:
        """The "View on site" link opens the timeline picture of the material's measures."""
        return timeline_picture_url(material)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("groups")
            .annotate(member_total=Count("members", distinct=True))
        )

    @admin.display(description="Groups")
    def group_list(self, material: Material) -> str:
        return ", ".join(group.name for group in material.groups.all())

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, material: Material) -> int:
        return material.member_total

    @admin.display(description="Measures affecting it")
    def measures_affecting(self, material: Material) -> str:
        """The measures listing the material, a group of it or a member of it (as the API's
        ``material`` filter), with their status today, and the way to its timeline."""
        if material.pk is None:
            return "-"
        today = timezone.localdate()
        measures = (
            Measure.objects.matching_materials([material])
            .with_status(today)
            .select_related("jurisdiction")
            .order_by("key")
        )
        rows = format_html_join(
            "",
            '<tr><td class="nowrap"><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:timeline_measure_change", args=[measure.pk]),
                    measure.key,
                    measure.title,
                    measure.jurisdiction.code,
                    status_label(measure),
                )
                for measure in measures
            ),
        )
        picture = format_html(
            '<p><a href="{}">See these measures on the timeline</a></p>',
            timeline_picture_url(material),
        )
        if not rows:
            return format_html("<p>No measure affects it.</p>{}", picture)
        return format_html(
            '<table class="measures-affecting"><thead><tr><th>Measure</th><th>Title</th>'
            "<th>Jurisdiction</th><th>Status on {}</th></tr></thead><tbody>{}</tbody></table>{}",
            today.isoformat(),
            rows,
            picture,
        )

    @admin.display(description="Direct members")
    def member_list(self, material: Material) -> str:
        return ", ".join(material.members.values_list("name", flat=True)) or "-"


class DayByDefaultForm(forms.ModelForm):
    """A date's precision may be left out of a submitted form: the date is then a day."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name.endswith("_precision"):
                field.required = False


class MeasureEventForm(OneLineNoteMixin, DayByDefaultForm):
    class Meta:
        model = MeasureEvent
        exclude: list[str] = []


class MeasureForm(DayByDefaultForm):
    """Refuses to overwrite a save made by someone else after this form was opened."""

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)
    change_reason = change_reason_field()

    class Meta:
        model = Measure
        exclude: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get("loaded_version")
        if self.instance.pk and loaded:
            # Locked until the save commits, so two saves cannot both pass this check.
            current = (
                Measure.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values_list("updated_at", flat=True)
                .first()
            )
            if current is not None and current.isoformat() != loaded:
                latest = self.instance.history.select_related("history_user").first()
                who = (
                    latest.history_user.get_username()
                    if latest and latest.history_user
                    else "someone else"
                )
                raise forms.ValidationError(
                    f"{who} changed this measure at {current:%Y-%m-%d %H:%M:%S} UTC, after you "
                    "opened it. Your changes were not saved: reload the page to see theirs, then "
                    "make yours again."
                )
        return cleaned


class MeasureMaterialInline(admin.TabularInline):
    model = MeasureMaterial
    autocomplete_fields = ["material"]
    extra = 0


class MeasureEventInline(admin.TabularInline):
    model = MeasureEvent
    form = MeasureEventForm
    fields = ["date", "date_precision", "type", "scheduled", "note", "source_url"]
    extra = 0
    verbose_name_plural = "events (the announcement, entry into force and end come from the dates)"

    def get_queryset(self, request):
        return super().get_queryset(request).recorded()


class MeasureSourceInline(admin.TabularInline):
    model = MeasureSource
    extra = 0


class MeasureRelationInline(admin.TabularInline):
    model = MeasureRelation
    fk_name = "from_measure"
    autocomplete_fields = ["to_measure"]
    extra = 0
    verbose_name = "relation to another measure"
    verbose_name_plural = "relations to other measures"


@admin.register(Measure)
class MeasureAdmin(SharedSearchAdminMixin, MeasureHistoryAdminMixin, SimpleHistoryAdmin):
    form = MeasureForm

    list_display = [
        "measure",
        "jurisdiction_code",
        "measure_type",
        "announced",
        "effective",
        "ends",
        "status_today",
    ]
    list_filter = [
        ("jurisdiction", admin.RelatedOnlyFieldListFilter),
        "measure_type",
        StatusListFilter,
        NeedsReviewListFilter,
        ("authorities", admin.RelatedOnlyFieldListFilter),
        MaterialListFilter,
    ]
    list_select_related = ["jurisdiction"]
    search_fields = ["key", "title", "reference", "summary"]
    search_help_text = (
        "Every word must match, in the key, title, reference, summary, notes, materials, "
        "scopes, authorities or sources; REE, Ga and the like are synonyms."
    )
    date_hierarchy = "effective_on"
    autocomplete_fields = ["jurisdiction", "authorities", "target_jurisdictions", "sectors"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "key",
                    "title",
                    "reference",
                    "jurisdiction",
                    "authorities",
                    "measure_type",
                    "loaded_version",
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [(name, f"{name}_precision") for name in MEASURE_DATE_FIELDS],
                "description": "A date known only to the month or the year is entered as the "
                "first day of that month or year, with that precision.",
            },
        ),
        ("Scope", {"fields": ["summary", "target_jurisdictions", "sectors"]}),
        ("Reliability", {"fields": ["confidence", "notes"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
        ("Why", {"fields": ["change_reason"]}),
    ]
    inlines = [
        MeasureMaterialInline,
        MeasureEventInline,
        MeasureSourceInline,
        MeasureRelationInline,
    ]

    def view_on_site(self, measure: Measure) -> str:
        """The "View on site" link opens the measure's page, with its timeline picture."""
        return reverse("pages:measure", kwargs={"key": measure.key})

    def get_queryset(self, request):
        # ModelAdmin.get_queryset, with the annotations in place before the ordering reads them.
        today = timezone.localdate()
        queryset = Measure.objects.with_status(today).with_oldest_scheduled(today)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def shared_search(self, request, queryset, text):
        # Most relevant first, unless the analyst sorted by a column or asked for review.
        ranked = not (ORDER_VAR in request.GET or NeedsReviewListFilter.chosen(request))
        return search_measures(queryset, text, order=ranked)

    def get_ordering(self, request):
        if NeedsReviewListFilter.chosen(request):
            return ["oldest_scheduled_on", "key"]  # the plan that passed longest ago first
        return super().get_ordering(request)

    class Media:
        css = {"all": ["timeline/admin.css"]}

    def get_list_display(self, request):
        if NeedsReviewListFilter.chosen(request):
            return [*self.list_display, "oldest_scheduled_on"]
        return self.list_display

    @admin.display(description="Measure", ordering="key")
    def measure(self, measure: Measure) -> str:
        return format_html(
            '<span class="measure-key">{}</span><span class="measure-title">{}</span>',
            measure.key,
            measure.title,
        )

    @admin.display(description="Jurisdiction", ordering="jurisdiction__code")
    def jurisdiction_code(self, measure: Measure) -> str:
        return measure.jurisdiction.code

    # Dates in the reduced form their precision allows: "2025-03" for a month.
    @admin.display(description="Announced", ordering="announced_on", empty_value="")
    def announced(self, measure: Measure):
        return partial_date_text(measure.announced_on, measure.announced_on_precision)

    @admin.display(description="Effective", ordering="effective_on", empty_value="")
    def effective(self, measure: Measure):
        return partial_date_text(measure.effective_on, measure.effective_on_precision)

    @admin.display(description="Ends", ordering="ends_on", empty_value="")
    def ends(self, measure: Measure):
        return partial_date_text(measure.ends_on, measure.ends_on_precision)

    @admin.display(description="Status today", ordering="status")
    def status_today(self, measure: Measure) -> str:
        return status_label(measure)

    @admin.display(description="Unconfirmed since", ordering="oldest_scheduled_on", empty_value="")
    def oldest_scheduled_on(self, measure: Measure):
        """The oldest scheduled event whose day has passed: review it."""
        return measure.oldest_scheduled_on

    def save_model(self, request, obj, form, change):
        obj.save_without_historical_record()  # the version is written once the inlines are saved

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.sync_derived_events()
        index_measures([form.instance.pk])
        representation.refresh([form.instance.pk])
        reason = form.cleaned_data.get("change_reason") or None
        record_version(form.instance, created=not change, reason=reason)

    def delete_model(self, request, obj):
        # A measure others relate to never gets here: the confirmation page lists their
        # relations as protected (MeasureRelation.to_measure is RESTRICT) and refuses.
        delete_measure(obj)
