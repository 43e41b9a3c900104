from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

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
from .protection import measures_using
from .services import delete_measure
from .status import MeasureStatus


class InUseAdminMixin:
    """The delete confirmation lists the measures that use the record as protected, and
    refuses, as Django does for records a foreign key protects (``timeline.protection``)."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        in_use = [f"Measure: {measure}" for obj in objs for measure in measures_using(obj)]
        return deleted, counts, perms_needed, [*protected, *in_use]


@admin.register(Jurisdiction)
class JurisdictionAdmin(InUseAdminMixin, SimpleHistoryAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


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
class AuthorityAdmin(InUseAdminMixin, SimpleHistoryAdmin):
    list_display = ["abbreviation", "name", "jurisdiction", "website"]
    list_filter = [("jurisdiction", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["jurisdiction"]
    search_fields = ["slug", "abbreviation", "name"]
    prepopulated_fields = {"slug": ["abbreviation"]}
    autocomplete_fields = ["jurisdiction"]


@admin.register(Sector)
class SectorAdmin(InUseAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class MaterialForm(forms.ModelForm):
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
class MaterialAdmin(SimpleHistoryAdmin):
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
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["groups"]
    readonly_fields = ["member_list"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "category"]}),
        ("Element", {"fields": ["symbol", "atomic_number", "cas_number", "hs_codes"]}),
        ("Groups", {"fields": ["groups", "member_list"]}),
    ]

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


class MeasureEventForm(DayByDefaultForm):
    class Meta:
        model = MeasureEvent
        exclude: list[str] = []


class MeasureForm(DayByDefaultForm):
    """Refuses to overwrite a save made by someone else after this form was opened."""

    loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

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


class StatusListFilter(admin.SimpleListFilter):
    title = "status today"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return MeasureStatus.choices

    def queryset(self, request, queryset):
        if self.value() in MeasureStatus.values:
            return queryset.with_status_in(timezone.localdate(), [self.value()])
        return queryset


class NeedsReviewListFilter(admin.SimpleListFilter):
    """Measures with a scheduled event whose day has passed: a plan that no source confirms
    yet. The changelist lists them oldest first (``MeasureAdmin.get_ordering``)."""

    title = "needs review"
    parameter_name = "needs_review"
    YES = "scheduled_passed"

    def lookups(self, request, model_admin):
        return [(self.YES, "a scheduled event has passed unconfirmed")]

    def queryset(self, request, queryset):
        if self.value() == self.YES:
            return queryset.needing_review(timezone.localdate())
        return queryset


class MaterialListFilter(admin.SimpleListFilter):
    """Material with group expansion, the same matching the API uses."""

    title = "material (with its groups and members)"
    parameter_name = "material"

    def lookups(self, request, model_admin):
        return Material.objects.values_list("slug", "name")

    def queryset(self, request, queryset):
        material = Material.objects.filter(slug=self.value()).first() if self.value() else None
        if material is not None:
            return queryset.matching_materials([material])
        return queryset


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
        return super().get_queryset(request).filter(derived=False)


class MeasureSourceInline(admin.TabularInline):
    model = MeasureSource
    extra = 0


class MeasureRelationInline(admin.TabularInline):
    model = MeasureRelation
    fk_name = "from_measure"
    autocomplete_fields = ["to_measure"]
    extra = 0
    verbose_name = "relation to another measure"


@admin.register(Measure)
class MeasureAdmin(SimpleHistoryAdmin):
    form = MeasureForm
    list_display = [
        "key",
        "title",
        "jurisdiction",
        "measure_type",
        "effective_on",
        "status_today",
        "oldest_scheduled_on",
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
    ]
    inlines = [
        MeasureMaterialInline,
        MeasureEventInline,
        MeasureSourceInline,
        MeasureRelationInline,
    ]

    def get_queryset(self, request):
        # ModelAdmin.get_queryset, with the annotations in place before the ordering reads them.
        today = timezone.localdate()
        queryset = Measure.objects.with_status(today).with_oldest_scheduled(today)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def get_ordering(self, request):
        if request.GET.get(NeedsReviewListFilter.parameter_name) == NeedsReviewListFilter.YES:
            return ["oldest_scheduled_on", "key"]  # the plan that passed longest ago first
        return super().get_ordering(request)

    @admin.display(description="Status today", ordering="status")
    def status_today(self, measure: Measure) -> str:
        if not measure.status:
            return "not yet announced"
        label = MeasureStatus(measure.status).label
        if not measure.status_confirmed:
            label = f"{label} (unconfirmed)"
        return label if measure.status_certain else f"{label} (uncertain date)"

    @admin.display(description="Unconfirmed since", ordering="oldest_scheduled_on", empty_value="")
    def oldest_scheduled_on(self, measure: Measure):
        """The oldest scheduled event whose day has passed: review it."""
        return measure.oldest_scheduled_on

    def save_model(self, request, obj, form, change):
        obj.save_without_historical_record()  # the version is written once the inlines are saved

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.sync_derived_events()
        record_version(form.instance, created=not change)

    def delete_model(self, request, obj):
        # A measure others relate to never gets here: the confirmation page lists their
        # relations as protected (MeasureRelation.to_measure is RESTRICT) and refuses.
        delete_measure(obj)
