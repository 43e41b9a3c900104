"""The timeline: measures on materials, who issued them, and what happened to them when."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .history import measure_history
from .periods import InForcePeriod, rebuild_in_force_periods  # noqa: F401  (a model of this app)
from .precision import DatePrecision, PartialDate, period_start, starts_its_period
from .querysets import MaterialQuerySet, MeasureEventQuerySet, MeasureQuerySet
from .status import (
    SUSPENSION_EVENTS,
    MeasureStatus,
    StatusPeriod,
    status_certain,
    status_confirmed,
    status_on,
    status_periods,
)

jurisdiction_code_validator = RegexValidator(
    r"^[A-Z]{2,8}$",
    "Use an ISO 3166-1 alpha-2 code (CN, US) or a bloc code of up to 8 letters (EU).",
)
# Dates outside this span are typing errors, not trade measures.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)
date_range_validators = [
    MinValueValidator(EARLIEST_DATE, "Give a date from 1900-01-01 on."),
    MaxValueValidator(LATEST_DATE, "Give a date up to 2199-12-31."),
]


def precision_field(date_field: str) -> models.CharField:
    """How precisely ``date_field`` is known; an imprecise date is its period's first day."""
    return models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=f"How precisely {date_field} is known: day, month or year. A date known to "
        "the month or year is stored as the first day of that period.",
    )


def check_periods(instance, pairs: Iterable[tuple[str, str]]) -> None:
    """Each imprecise date must be stored as its period's first day (``2025-03`` is 1 March)."""
    errors = {}
    for date_field, precision_field_name in pairs:
        date = getattr(instance, date_field)
        precision = getattr(instance, precision_field_name)
        if date is not None and not starts_its_period(date, precision):
            errors[date_field] = (
                f"A date known only to the {precision} is stored as the first day of that "
                f"{precision} ({period_start(date, precision).isoformat()}), "
                f"not {date.isoformat()}."
            )
    if errors:
        raise ValidationError(errors)


# A measure's own dates, each with a ``<name>_precision`` beside it.
MEASURE_DATE_FIELDS = ("announced_on", "effective_on", "ends_on")
cas_number_validator = RegexValidator(r"^\d{2,7}-\d{2}-\d$", "A CAS number looks like 7440-55-3.")


def normalize_jurisdiction_code(value):
    """Jurisdiction codes are upper-case letters, matched case-insensitively: "cn" is CN.
    Only ASCII is folded, so no other letter (the Turkish dotless i, say) turns into one."""
    return value.upper() if isinstance(value, str) and value.isascii() else value


class JurisdictionCodeField(models.CharField):
    """A jurisdiction code, upper-cased wherever it enters: in lookups (``code="cn"`` and
    ``code__in=["cn"]`` find CN, so URLs and body fields match whatever the case), in
    validation and on save."""

    def to_python(self, value):
        return normalize_jurisdiction_code(super().to_python(value))

    def get_prep_value(self, value):
        return normalize_jurisdiction_code(super().get_prep_value(value))

    def pre_save(self, model_instance, add):
        value = normalize_jurisdiction_code(super().pre_save(model_instance, add))
        setattr(model_instance, self.attname, value)
        return value


class JurisdictionKind(models.TextChoices):
    COUNTRY = "country", "Country or territory (ISO 3166-1)"
    BLOC = "bloc", "Bloc (customs union or economic community)"
    ORGANISATION = "organisation", "International organisation"


class Jurisdiction(models.Model):
    code = JurisdictionCodeField(
        max_length=8,
        unique=True,
        validators=[jurisdiction_code_validator],
        help_text="ISO 3166-1 alpha-2 code, or a bloc code such as EU; any case on input.",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20,
        choices=JurisdictionKind.choices,
        default=JurisdictionKind.COUNTRY,
        help_text="Country or territory, bloc, or international organisation.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=JurisdictionKind.values), name="jurisdiction_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def get_absolute_url(self) -> str:
        return reverse("api:jurisdiction-detail", kwargs={"code": self.code})

    @staticmethod
    def default_kind(code: str) -> str:
        """The kind the built-in reference data gives ``code``; a country for other codes."""
        from .reference_data.jurisdictions import reference_jurisdictions

        known = reference_jurisdictions().get(normalize_jurisdiction_code(code))
        return known.kind if known else JurisdictionKind.COUNTRY

    def clean(self) -> None:
        from .reference_data.jurisdictions import reference_jurisdictions

        known = reference_jurisdictions().get(normalize_jurisdiction_code(self.code))
        if known is not None and self.kind != known.kind:
            raise ValidationError(
                {
                    "kind": ValidationError(
                        f"{known.code} is built in with kind {known.kind!r} "
                        f"({known.source}), which it keeps.",
                        code=BUILT_IN_CONFLICT,
                    )
                }
            )


# The error code of a write that contradicts the built-in reference data.
BUILT_IN_CONFLICT = "built_in"


class Authority(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=300)
    abbreviation = models.CharField(
        max_length=40, help_text="Short name the authority goes by (MOFCOM, GAC, BIS)."
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="authorities"
    )
    website = models.URLField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "authorities"
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "abbreviation"],
                name="authority_abbreviation_unique_per_jurisdiction",
            )
        ]

    def __str__(self) -> str:
        return self.abbreviation or self.name


class MaterialCategory(models.TextChoices):
    RARE_EARTH_ELEMENT = "rare_earth_element", "Rare-earth element"
    CRITICAL_MINERAL = "critical_mineral", "Critical mineral"
    TECHNOLOGY = "technology", "Technology"
    PRODUCT = "product", "Product"
    GROUP = "group", "Group"


class Material(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)
    category = models.CharField(max_length=32, choices=MaterialCategory.choices)
    symbol = models.CharField(max_length=3, blank=True, help_text="Chemical symbol, for elements.")
    atomic_number = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(118)],
        help_text="For elements.",
    )
    cas_number = models.CharField(
        max_length=12, blank=True, validators=[cas_number_validator], verbose_name="CAS number"
    )
    hs_codes = models.JSONField(
        default=list,
        blank=True,
        help_text="Harmonized System codes, as digit strings: an HS 2022 chapter, heading or "
        "subheading, or a national tariff line of 8 to 10 digits under a listed subheading.",
    )
    groups = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="members",
        blank=True,
        limit_choices_to={"category": MaterialCategory.GROUP},
        help_text="Groups this material belongs to; groups can themselves sit in groups.",
    )

    objects = MaterialQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[groups])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol"], condition=~Q(symbol=""), name="material_symbol_unique"
            ),
            models.CheckConstraint(
                condition=Q(atomic_number__isnull=True)
                | Q(atomic_number__gte=1, atomic_number__lte=118),
                name="material_atomic_number_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not isinstance(self.hs_codes, list):
            raise ValidationError({"hs_codes": "Give a list of HS codes."})
        self.hs_codes = [normalize_hs_code(code) for code in self.hs_codes]
        problems = HSCode.objects.problems(self.hs_codes)
        if problems:
            raise ValidationError({"hs_codes": problems})

    def validate_groups(self, groups) -> None:
        """Refuse a group that is not a group, or that would make membership circular."""
        not_groups = [group.name for group in groups if group.category != MaterialCategory.GROUP]
        if not_groups:
            raise ValidationError({"groups": f"Not a group: {', '.join(sorted(not_groups))}."})
        if self.pk is None:
            return
        inside = Material.objects.descendant_ids([self.pk])
        circular = [group.name for group in groups if group.pk in inside]
        if circular:
            raise ValidationError(
                {"groups": f"{', '.join(sorted(circular))} already sits inside {self.name}."}
            )


class MaterialHSCode(models.Model):
    """One of a material's HS codes as a row of its own, kept in step with ``hs_codes`` on
    every save (``hs_matching.py``), so that materials are found by code through an index."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="hs_code_rows")
    code = models.CharField(max_length=10, help_text="Digits only, as in ``hs_codes``.")

    class Meta:
        ordering = ["code", "material"]
        verbose_name = "material HS code"
        constraints = [
            models.UniqueConstraint(fields=["code", "material"], name="material_hs_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.material} {self.code}"


HS_EDITION = "HS 2022"
HS_LISTED_LENGTHS = (2, 4, 6)  # chapter, heading, subheading
HS_NATIONAL_LINE_LENGTHS = (8, 9, 10)


def normalize_hs_code(value):
    """HS codes are written with dots and spaces ("2805.30", "2805 30 19"); they are stored as
    digits only. Anything but text is returned as it is, for validation to refuse."""
    return value.replace(".", "").replace(" ", "") if isinstance(value, str) else value


class HSLevel(models.TextChoices):
    CHAPTER = "chapter", "Chapter (2 digits)"
    HEADING = "heading", "Heading (4 digits)"
    SUBHEADING = "subheading", "Subheading (6 digits)"


class HSCodeQuerySet(models.QuerySet):
    def resolve(self, code: str) -> HSCode | None:
        """The nomenclature's entry for a normalised ``code``: the chapter, heading or
        subheading itself, or for a national tariff line the 6-digit subheading it extends;
        None when the code is malformed or not listed."""
        length = len(code) if isinstance(code, str) and code.isdigit() else 0
        if length in HS_LISTED_LENGTHS:
            return self.filter(code=code).first()
        if length in HS_NATIONAL_LINE_LENGTHS:
            return self.filter(code=code[:6]).first()
        return None

    def problems(self, codes: list) -> list[str]:
        """Why each of the normalised ``codes`` is not a valid HS code, in one query.

        The Harmonized System (WCO, 2022 edition) lists chapters of 2 digits, headings of 4 and
        subheadings of 6; a customs territory extends a subheading with national tariff lines
        of 8 to 10 digits (China's 10-digit commodity codes, the EU's 8-digit Combined
        Nomenclature, the US 10-digit HTS). So a code is valid when it is listed, or when it is
        a national line whose first 6 digits are a listed subheading."""
        problems, well_formed = [], []
        for code in codes:
            if not isinstance(code, str):
                problems.append(f'{code!r} is not an HS code: give it as text, e.g. "2805.30".')
            elif not (code.isascii() and code.isdigit()) or len(code) not in (
                *HS_LISTED_LENGTHS,
                *HS_NATIONAL_LINE_LENGTHS,
            ):
                problems.append(
                    f"{code!r} is not an HS code: give 2, 4 or 6 digits (a chapter, heading or "
                    "subheading) or a national tariff line of 8 to 10 digits."
                )
            else:
                well_formed.append(code)
        listed = set(
            self.filter(code__in={code[:6] for code in well_formed}).values_list("code", flat=True)
        )
        seen = set()
        for code in well_formed:
            if code in seen:
                problems.append(f"{code} is listed twice.")
            seen.add(code)
            if len(code) in HS_LISTED_LENGTHS and code not in listed:
                problems.append(f"{code} is not a chapter, heading or subheading of {HS_EDITION}.")
            elif len(code) in HS_NATIONAL_LINE_LENGTHS and code[:6] not in listed:
                problems.append(
                    f"{code} is a national tariff line under {code[:6]}, which is not a "
                    f"subheading of {HS_EDITION}."
                )
        return problems


class HSCode(models.Model):
    """A chapter, heading or subheading of the Harmonized System, 2022 edition (WCO), loaded
    from ``timeline/reference_data/hs/`` by a migration and by ``sync_reference_data``."""

    code = models.CharField(
        max_length=6, primary_key=True, help_text="2, 4 or 6 digits: chapter, heading, subheading."
    )
    level = models.CharField(max_length=10, choices=HSLevel.choices)
    description = models.TextField()
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        help_text="The chapter of a heading, the heading of a subheading; none for a chapter.",
    )

    objects = HSCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "HS code"
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=HSLevel.values), name="hs_code_level_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    def get_absolute_url(self) -> str:
        return reverse("api:hs-code-detail", kwargs={"code": self.code})

    def ancestors(self) -> list[HSCode]:
        """Chapter first, then heading (select ``parent__parent`` to read them in one query)."""
        chain, entry = [], self.parent
        while entry is not None:
            chain.insert(0, entry)
            entry = entry.parent
        return chain


class Sector(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MeasureType(models.TextChoices):
    EXPORT_LICENCE_REQUIREMENT = "export_licence_requirement", "Export licence requirement"
    EXPORT_PROHIBITION = "export_prohibition", "Export prohibition"
    TECHNOLOGY_EXPORT_RESTRICTION = "technology_export_restriction", "Technology export restriction"
    COOPERATION_PROHIBITION = "cooperation_prohibition", "Cooperation prohibition"
    EXTRATERRITORIAL_CONTROL = "extraterritorial_control", "Extraterritorial control"
    EXPORT_QUOTA = "export_quota", "Export quota"
    SUSPENSION = "suspension", "Suspension"
    STANDARD = "standard", "Standard"
    INVESTIGATION = "investigation", "Investigation"
    OTHER = "other", "Other"


class Confidence(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Measure(models.Model):
    key = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable URL-safe identifier, e.g. cn-mofcom-2025-62.",
    )
    title = models.CharField(max_length=300)
    reference = models.CharField(
        max_length=300, blank=True, help_text="Official reference of the document."
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="measures"
    )
    authorities = models.ManyToManyField(Authority, related_name="measures", blank=True)
    measure_type = models.CharField(max_length=40, choices=MeasureType.choices)
    summary = models.TextField(blank=True)
    announced_on = models.DateField(null=True, blank=True, validators=date_range_validators)
    effective_on = models.DateField(null=True, blank=True, validators=date_range_validators)
    ends_on = models.DateField(
        null=True,
        blank=True,
        validators=date_range_validators,
        help_text="First day on which the measure no longer applies; empty when open-ended.",
    )
    announced_on_precision = precision_field("announced_on")
    effective_on_precision = precision_field("effective_on")
    ends_on_precision = precision_field("ends_on")
    target_jurisdictions = models.ManyToManyField(
        Jurisdiction,
        related_name="targeted_by",
        blank=True,
        help_text="Countries the measure is aimed at; empty when it applies to all.",
    )
    materials = models.ManyToManyField(
        Material, through="MeasureMaterial", related_name="measures", blank=True
    )
    sectors = models.ManyToManyField(Sector, related_name="measures", blank=True)
    confidence = models.CharField(
        max_length=10,
        choices=Confidence.choices,
        default=Confidence.HIGH,
        help_text="How sure the record is, given its sources.",
    )
    notes = models.TextField(blank=True, help_text="Where sources were thin or disagreed.")
    has_suspension_events = models.BooleanField(
        default=False,
        editable=False,
        help_text="Whether any suspended or reinstated event is recorded; kept by "
        "sync_derived_events so the status rule in SQL skips the event lookup for the rest.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = MeasureQuerySet.as_manager()
    history = measure_history

    class Meta:
        ordering = [F("effective_on").desc(nulls_last=True), "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(ends_on__gt=F("effective_on")),
                name="measure_ends_after_effective",
            ),
            models.CheckConstraint(
                condition=Q(measure_type__in=MeasureType.values), name="measure_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(announced_on_precision__in=DatePrecision.values)
                & Q(effective_on_precision__in=DatePrecision.values)
                & Q(ends_on_precision__in=DatePrecision.values),
                name="measure_date_precision_valid",
            ),
        ]
        indexes = [
            # The default order, newest first with empty dates last, read straight off the index.
            models.Index(fields=["-effective_on", "key"], name="measure_effective_key_idx"),
            models.Index(fields=["announced_on"], name="measure_announced_idx"),
            models.Index(fields=["ends_on"], name="measure_ends_idx"),
            models.Index(fields=["measure_type"], name="measure_type_idx"),
        ]

    def __str__(self) -> str:
        return self.key

    def get_absolute_url(self) -> str:
        return reverse("api:measure-detail", kwargs={"key": self.key})

    def clean(self) -> None:
        check_periods(self, ((name, f"{name}_precision") for name in MEASURE_DATE_FIELDS))
        if self.ends_on and self.effective_on and self.ends_on <= self.effective_on:
            raise ValidationError(
                {
                    "ends_on": "The end date is the first day the measure no longer applies, "
                    "so it must come after the day it takes effect."
                }
            )

    def status_on(self, day: datetime.date) -> MeasureStatus | None:
        """Status on ``day`` from this row's dates and (prefetched) events."""
        return status_on(
            day,
            announced_on=self.announced_on,
            effective_on=self.effective_on,
            ends_on=self.ends_on,
            events=[(event.date, event.type) for event in self.events.all()],
        )

    def status_confirmed_on(self, day: datetime.date) -> bool:
        """Whether the status on ``day`` rests on no unconfirmed scheduled event
        (``status.status_confirmed``), from this row's dates and (prefetched) events."""
        return status_confirmed(
            day,
            announced_on=self.announced_on,
            effective_on=self.effective_on,
            ends_on=self.ends_on,
            events=[(event.date, event.type, event.scheduled) for event in self.events.all()],
        )

    def status_periods(self) -> list[StatusPeriod]:
        """The measure's life as periods of one status each (``status.status_periods``), from
        this row's dates and (prefetched) events."""
        return status_periods(
            announced_on=self.announced_on,
            effective_on=self.effective_on,
            ends_on=self.ends_on,
            events=[(event.date, event.type, event.scheduled) for event in self.events.all()],
        )

    def status_certain_on(self, day: datetime.date) -> bool:
        """Whether the status on ``day`` rests on no date known only to the month or year
        whose period holds ``day`` (``status.status_certain``), from this row's dates and
        (prefetched) events."""
        return status_certain(
            day,
            **{name: self.partial_date(name) for name in MEASURE_DATE_FIELDS},
            events=[(event.date, event.type, event.date_precision) for event in self.events.all()],
        )

    def partial_date(self, name: str) -> tuple[datetime.date | None, str]:
        """One of the measure's dates with its precision."""
        return getattr(self, name), getattr(self, f"{name}_precision")

    def date_events(self) -> list[tuple[datetime.date, str, str]]:
        """The (date, type, precision) entries the measure's own dates put on its timeline."""
        pairs = [
            ("announced_on", EventType.ANNOUNCED),
            ("effective_on", EventType.EFFECTIVE),
            ("ends_on", EventType.ENDED),
        ]
        return [
            (date, str(type_), precision)
            for name, type_ in pairs
            for date, precision in [self.partial_date(name)]
            if date is not None
        ]

    def implied_events(
        self, recorded: set[tuple[datetime.date, str]]
    ) -> list[tuple[datetime.date, str, str]]:
        """The (date, type, precision) entries the dates put on the timeline besides the
        ``recorded`` events: a recorded event of the same type and date makes the derived one
        a duplicate."""
        return sorted(entry for entry in self.date_events() if entry[:2] not in recorded)

    def sync_derived_events(self) -> None:
        """Keep the events derived from the measure's dates in step with them and with the
        recorded events (``implied_events``), ``has_suspension_events`` with the recorded
        events, and the stored in-force periods (``periods.py``) with its dates, events and
        materials. Call after the measure and its nested parts are saved, in their
        transaction."""
        suspensions = self.events.recorded().filter(type__in=SUSPENSION_EVENTS).exists()
        if suspensions != self.has_suspension_events:
            self.has_suspension_events = suspensions
            Measure.objects.filter(pk=self.pk).update(has_suspension_events=suspensions)
        recorded = set(self.events.recorded().values_list("date", "type"))
        wanted = set(self.implied_events(recorded))
        existing = {
            (event.date, event.type, event.date_precision): event.pk
            for event in self.events.filter(derived=True)
        }
        stale = [pk for entry, pk in existing.items() if entry not in wanted]
        if stale:
            MeasureEvent.objects.filter(pk__in=stale).delete()
        MeasureEvent.objects.bulk_create(
            MeasureEvent(
                measure=self, date=date, type=type_, date_precision=precision, derived=True
            )
            for date, type_, precision in sorted(wanted - existing.keys())
        )
        rebuild_in_force_periods([self.pk])


class MeasureMaterial(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="material_links")
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="measure_links")
    scope = models.CharField(
        max_length=1000, blank=True, help_text="Which forms or items of the material are covered."
    )

    class Meta:
        ordering = ["measure", "material__name"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "material"], name="measure_material_unique")
        ]
        indexes = [models.Index(fields=["material", "measure"], name="measure_material_rev_idx")]

    def __str__(self) -> str:
        return f"{self.measure} - {self.material}"


class EventType(models.TextChoices):
    ANNOUNCED = "announced", "Announced"
    PUBLISHED = "published", "Published"
    EFFECTIVE = "effective", "Took effect"
    AMENDED = "amended", "Amended"
    SUSPENDED = "suspended", "Suspended"
    REINSTATED = "reinstated", "Reinstated"
    EXTENDED = "extended", "Extended"
    ENDED = "ended", "Ended"
    NOTE = "note", "Note"


class MeasureEvent(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="events")
    date = models.DateField(validators=date_range_validators)
    type = models.CharField(max_length=20, choices=EventType.choices)
    note = models.TextField(blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    derived = models.BooleanField(
        default=False,
        editable=False,
        help_text="Put on the timeline from the measure's own dates, not recorded by an editor.",
    )
    scheduled = models.BooleanField(
        default=False,
        help_text="Announced in advance, but no source confirms it happened: a plan, not a "
        "fact. Clear it once a source confirms the event.",
    )
    date_precision = precision_field("the date")

    objects = MeasureEventQuerySet.as_manager()

    class Meta:
        ordering = ["date", "type", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EventType.values), name="event_type_valid"),
            models.CheckConstraint(
                condition=Q(date_precision__in=DatePrecision.values),
                name="event_date_precision_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["measure", "type", "date"], name="event_measure_type_date_idx"),
            models.Index(fields=["date", "type", "id"], name="event_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.type} {PartialDate(self.date, self.date_precision)}"

    def clean(self) -> None:
        check_periods(self, [("date", "date_precision")])


class MeasureSource(models.Model):
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="sources")
    url = models.URLField(max_length=500)
    title = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    published_on = models.DateField(null=True, blank=True, validators=date_range_validators)

    class Meta:
        ordering = ["measure", "id"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "url"], name="measure_source_url_unique")
        ]

    def __str__(self) -> str:
        return self.title or self.url


class RelationType(models.TextChoices):
    AMENDS = "amends", "Amends"
    SUPERSEDES = "supersedes", "Supersedes"
    SUSPENDS = "suspends", "Suspends"
    EXPANDS = "expands", "Expands"
    IMPLEMENTS = "implements", "Implements"
    EXTENDS = "extends", "Extends"


class MeasureRelation(models.Model):
    """``from_measure`` <relation> ``to_measure``: No. 70 suspends No. 55.

    A measure others relate to cannot be deleted on its own (RESTRICT): their relations would
    vanish without a trace in their history. ``services.delete_measure`` removes them first,
    when asked to; deleting the referring measures in the same operation is allowed."""

    from_measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="relations")
    to_measure = models.ForeignKey(
        Measure, on_delete=models.RESTRICT, related_name="inbound_relations"
    )
    relation = models.CharField(max_length=20, choices=RelationType.choices)

    class Meta:
        ordering = ["from_measure", "relation", "to_measure__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["from_measure", "to_measure", "relation"], name="measure_relation_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_measure=F("to_measure")), name="measure_relation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_measure} {self.relation} {self.to_measure}"

    def clean(self) -> None:
        if self.from_measure_id and self.from_measure_id == self.to_measure_id:
            raise ValidationError({"to_measure": "A measure cannot relate to itself."})


class TimelineVersion(models.Model):
    """One row counting committed changes to the timeline, so caches of anything computed
    from it (list counts) can tell whether they are still current."""

    value = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(
        null=True, help_text="When the last counted change was committed (null: before counting)."
    )

    def __str__(self) -> str:
        return f"timeline version {self.value}"


# The search index's rows live with the search (``timeline/search/``), stored representations
# with their builder (``timeline/representation/``), the in-force counts with their upkeep.
from .counts import (  # noqa: E402, F401
    EventCountDay,
    InForceCountChange,
    InForceCountMonth,
    MeasureCounted,
    TimelineEventCount,
)
from .matches import MatchedEvent, MatchedInForcePeriod  # noqa: E402, F401
from .representation.models import MeasureRepresentation  # noqa: E402, F401
from .search.models import MeasureFullTextRow, MeasureSearchDocument  # noqa: E402, F401
