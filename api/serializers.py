"""JSON representations. Reads never query per row (the views prefetch); measure writes go
through ``timeline.services.save_measure`` so every write path keeps the timeline in step."""

from __future__ import annotations

import copy

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, models, transaction
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.text import capfirst
from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, validators
from rest_framework.fields import empty, get_error_detail
from rest_framework.settings import api_settings
from rest_framework.utils import html

from timeline.models import (
    BUILT_IN_CONFLICT,
    MEASURE_DATE_FIELDS,
    Authority,
    Confidence,
    EventType,
    HSCode,
    Jurisdiction,
    JurisdictionCodeField,
    Material,
    MaterialCategory,
    Measure,
    MeasureEvent,
    MeasureType,
    RelationType,
    Sector,
    date_range_validators,
    normalize_hs_code,
    normalize_jurisdiction_code,
)
from timeline.precision import (
    PARTIAL_DATE_FORMATS,
    PARTIAL_DATE_PATTERN,
    DatePrecision,
    PartialDate,
    partial_date_text,
)
from timeline.services import EventEntry, MaterialLink, RelationEntry, SourceEntry, save_measure
from timeline.status import MeasureStatus

from .exceptions import Conflict
from .parameters import ISO_DATE, nearest_values
from .querysets import measure_queryset


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    detail = get_error_detail(error)
    if isinstance(detail, dict) and NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return serializers.ValidationError(detail)


class OptionalURLField(serializers.URLField):
    """A URL that may be absent: null in responses (never ""), and null or "" accepted."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, allow_blank=True, **kwargs)

    def to_internal_value(self, data):
        return "" if data in (None, "") else super().to_internal_value(data)

    def to_representation(self, value):
        return value or None

    def validate_empty_values(self, data):
        if data is None:
            return True, ""
        return super().validate_empty_values(data)


# The JSON type the schema gives each kind of field (the first class a field is an instance
# of decides); kinds not listed (JSONField and the like) take any value.
JSON_TYPES = (
    (serializers.BooleanField, "boolean"),
    (serializers.IntegerField, "integer"),
    (serializers.FloatField, "number"),
    (serializers.PrimaryKeyRelatedField, "integer"),
    (
        (serializers.ListField, serializers.ListSerializer, serializers.ManyRelatedField,
         serializers.MultipleChoiceField),
        "array",
    ),
    ((serializers.DictField, serializers.Serializer), "object"),
    (
        (serializers.CharField, serializers.ChoiceField, serializers.RelatedField,
         serializers.DateField, serializers.DateTimeField, serializers.TimeField,
         serializers.DurationField, serializers.UUIDField),
        "string",
    ),
)  # fmt: skip
TYPE_ERROR_CODES = ("not_a_list", "not_a_dict", "invalid", "invalid_choice")


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    kinds = {float: "number", str: "string", list: "array", dict: "object"}
    return kinds.get(type(value), type(value).__name__)


def with_article(json_type_name: str) -> str:
    return f"{'an' if json_type_name[0] in 'aeiou' else 'a'} {json_type_name}"


def type_errors(field: serializers.Field, value) -> list | dict | None:
    """Why ``value`` is not of the JSON type the schema gives ``field`` (None when it is, or
    is null: whether null is allowed is the field's own check). Items of a list are checked
    against the list's child; nested serializers check their own fields."""
    expected = next((name for kind, name in JSON_TYPES if isinstance(field, kind)), None)
    got = json_type(value)
    if expected is None or got == "null":
        return None
    if got != expected and not (expected == "number" and got == "integer"):
        code = next((c for c in TYPE_ERROR_CODES if c in field.error_messages), "invalid")
        message = f"Expected {with_article(expected)}, got {with_article(got)}."
        return [serializers.ErrorDetail(message, code=code)]
    if isinstance(field, serializers.ListField):
        items = {
            i: errors for i, item in enumerate(value) if (errors := type_errors(field.child, item))
        }
        return items or None
    if isinstance(field, serializers.ManyRelatedField):  # DRF reports these at the list
        items = [e for item in value for e in type_errors(field.child_relation, item) or []]
        return items or None
    return None


# The error code of a body field the resource does not have (its attr names the field).
UNKNOWN_FIELD = "unknown_field"


class StrictFieldsMixin:
    """Fields the resource does not have are refused by name instead of dropped silently;
    read-only fields are accepted and ignored, so a body from GET can be sent back. A value of
    another JSON type than the schema gives its field is refused instead of converted (a
    number for a string, a string for an integer, an object for an array). Text is not
    trimmed."""

    def writable_field_names(self) -> list[str]:
        return [name for name, field in self.fields.items() if not field.read_only]

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.CharField):
                # Text is kept as sent: trimming would change it unasked, and let a value over
                # the schema's maxLength through once its spaces were gone.
                field.trim_whitespace = False
        return fields

    def to_internal_value(self, data):
        if not isinstance(data, dict) or html.is_html_input(data):
            return super().to_internal_value(data)
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [
                        serializers.ErrorDetail(
                            f"Unknown field: {name}. This resource's fields are "
                            f"{', '.join(sorted(self.writable_field_names()))}.",
                            code=UNKNOWN_FIELD,
                        )
                    ]
                    for name in unknown
                }
            )
        mistyped = {
            name: errors
            for name, field in self.fields.items()
            if not field.read_only and name in data and (errors := type_errors(field, data[name]))
        }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if not mistyped or not isinstance(error.detail, dict):
                raise
            raise serializers.ValidationError({**error.detail, **mistyped}) from error
        if mistyped:
            raise serializers.ValidationError(mistyped)
        return value


class UniqueValidator(validators.UniqueValidator):
    """DRF's check of a unique model field, whose error gives the URL of the resource that
    already has the value."""

    def __call__(self, value, serializer_field):
        serializer = serializer_field.parent
        field_name = serializer_field.source_attrs[-1]
        instance = getattr(serializer, "instance", None)
        if instance is not None and field_name == getattr(serializer, "lookup_field_name", None):
            return  # an update cannot change it at all: ImmutableLookupMixin says so
        queryset = self.exclude_current_instance(
            self.filter_queryset(value, self.queryset, field_name), instance
        )
        try:
            existing = queryset.first()
        except (TypeError, ValueError, DataError):  # as DRF: a value no row can have
            return
        if existing is None:
            return
        url_field = serializer.fields.get("url")
        request = serializer_field.context.get("request")
        detail = capfirst(self.message)
        if isinstance(url_field, serializers.HyperlinkedIdentityField) and request is not None:
            url = url_field.get_url(existing, url_field.view_name, request, None)
            detail = f"{detail.rstrip('.')}: {url}"
        raise serializers.ValidationError(detail, code="unique")


# Errors that say the body is well-formed but contradicts what the server holds: a unique value
# another resource has, a built-in record's fixed value.
CONFLICT_CODES = {"unique", BUILT_IN_CONFLICT}


class UniqueConflictMixin:
    """A unique field's value that another resource already has is a conflict with the
    current state of the server (409, RFC 9110 section 15.5.10), not a malformed body: when
    that is all that is wrong, the error is a 409 naming the field, with the existing
    resource's URL in its detail; so is a value a built-in record keeps (a country's kind).
    (A set of fields unique together, such as an authority's
    jurisdiction and abbreviation, is named as non_field_errors). Anything else wrong as well
    keeps the whole answer a 400."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "validators" in kwargs:
            kwargs["validators"] = [
                UniqueValidator(v.queryset, message=v.message, lookup=v.lookup)
                if type(v) is validators.UniqueValidator
                else v
                for v in kwargs["validators"]
            ]
        return field_class, kwargs

    def is_valid(self, *, raise_exception=False):
        valid = super().is_valid()
        if not valid and raise_exception:
            errors = self.errors
            if all(
                isinstance(details, list)
                and all(getattr(d, "code", None) in CONFLICT_CODES for d in details)
                for details in errors.values()
            ):
                raise Conflict(errors)
            raise serializers.ValidationError(errors)
        return valid


class ImmutableLookupMixin:
    """The natural key in the URL cannot be changed by an update. An update's body may leave
    it out (the URL names the resource) or repeat it; a different one is refused."""

    lookup_field_name: str

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and self.lookup_field_name in fields:
            fields[self.lookup_field_name].required = False
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        name = self.lookup_field_name
        if (
            self.instance is not None
            and name in attrs
            and attrs[name] != getattr(self.instance, name)
        ):
            raise serializers.ValidationError(
                {name: [f"The {name} identifies this resource and cannot be changed."]}
            )
        return attrs


class ISODateField(serializers.DateField):
    """A day as YYYY-MM-DD and nothing else, as in query parameters (``api.parameters``):
    Python would also read 20250601, 2025-6-1 and the ISO week date 2025-W22-7."""

    def to_internal_value(self, value):
        if isinstance(value, str) and not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


@extend_schema_field(
    {
        "type": "string",
        "pattern": PARTIAL_DATE_PATTERN,
        "example": "2025-03-14",
        "x-formats": ["YYYY-MM-DD", "YYYY-MM", "YYYY"],
    }
)
class PartialDateField(serializers.Field):
    """A date known to the day, the month or the year (``timeline.precision``), written
    ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``. It reads and writes two attributes, the date (the
    first day of its period) and its ``<date>_precision``, so it takes the whole object."""

    default_error_messages = {
        "invalid": "{reason}.",
        "type": "Expected a string ({formats}), got {got}.",
    }

    def __init__(self, *, date_field: str, precision_field: str | None = None, **kwargs):
        self.date_field = date_field
        self.precision_field = precision_field or f"{date_field}_precision"
        super().__init__(source="*", **kwargs)

    def get_attribute(self, instance):
        return instance

    def to_representation(self, instance) -> str | None:
        if isinstance(instance, dict):  # a history snapshot holds the text already
            return instance[self.date_field]
        return partial_date_text(
            getattr(instance, self.date_field), getattr(instance, self.precision_field)
        )

    def validate_empty_values(self, data):
        if data is None and self.allow_null and not self.read_only:
            return True, {self.date_field: None, self.precision_field: DatePrecision.DAY}
        return super().validate_empty_values(data)

    def to_internal_value(self, data) -> dict:
        if not isinstance(data, str):
            self.fail("type", formats=PARTIAL_DATE_FORMATS, got=with_article(json_type(data)))
        try:
            value = PartialDate.parse(data)
        except ValueError as error:
            reason = str(error)
            self.fail("invalid", reason=reason[:1].upper() + reason[1:])
        for validator in date_range_validators:
            try:
                validator(value.date)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return {self.date_field: value.date, self.precision_field: value.precision}


class UniqueListField(serializers.ListField):
    """A list whose items are each given once (a repeat is refused by the model's rule)."""


class NaturalKeyField(serializers.SlugRelatedField):
    """Another record named by its slug, code or key; an unknown one is named with the
    nearest known value, as in query parameters."""

    default_error_messages = {"does_not_exist": "No {model} has the {slug_name} `{value}`.{hint}"}

    def to_internal_value(self, data):
        queryset = self.get_queryset()
        try:
            return queryset.get(**{self.slug_field: data})
        except ObjectDoesNotExist:
            self.fail(
                "does_not_exist",
                model=queryset.model._meta.verbose_name,
                slug_name=self.slug_field,
                value=smart_str(data),
                hint=nearest_values(smart_str(data), queryset, self.slug_field),
            )
        except (TypeError, ValueError):
            self.fail("invalid")


class GroupSlugField(NaturalKeyField):
    """A slug that must name an existing group (see ``reference_format``)."""

    reference_format = "material-group-slug"
    default_error_messages = {"not_a_group": "{value} is a material, not a group."}

    def to_internal_value(self, data):
        if (
            isinstance(data, str)
            and Material.objects.filter(slug=data).exclude(category=MaterialCategory.GROUP).exists()
        ):
            self.fail("not_a_group", value=data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2,8}$", "maxLength": 8})
class JurisdictionCodeInputField(serializers.CharField):
    """A jurisdiction code in a body, upper-cased before it is validated ("cn" is CN)."""

    def to_internal_value(self, data):
        return normalize_jurisdiction_code(super().to_internal_value(data))


class JurisdictionSerializer(
    StrictFieldsMixin, ImmutableLookupMixin, UniqueConflictMixin, serializers.ModelSerializer
):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        JurisdictionCodeField: JurisdictionCodeInputField,
    }
    lookup_field_name = "code"
    conflicting_fields = ("kind",)  # fixed for the built-in codes: 409 (UniqueConflictMixin)
    url = serializers.HyperlinkedIdentityField(
        view_name="api:jurisdiction-detail", lookup_field="code", help_text="This resource."
    )

    class Meta:
        model = Jurisdiction
        fields = ["code", "url", "name", "kind"]
        extra_kwargs = {
            "code": {
                "help_text": "ISO 3166-1 alpha-2 code or bloc code; any case on input, "
                "upper-case in answers."
            },
            "name": {"help_text": "Name of the country, bloc or organisation."},
            "kind": {
                "help_text": "Country or territory, bloc, or international organisation. Fixed "
                "for the built-in codes; when left out of a new one, the built-in kind or "
                "country."
            },
        }

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None and "kind" not in attrs:
            attrs["kind"] = Jurisdiction.default_kind(attrs["code"])
        jurisdiction = copy.copy(self.instance) if self.instance is not None else Jurisdiction()
        for name, value in attrs.items():
            setattr(jurisdiction, name, value)
        try:
            jurisdiction.full_clean()
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return attrs


class AuthoritySerializer(
    StrictFieldsMixin, ImmutableLookupMixin, UniqueConflictMixin, serializers.ModelSerializer
):
    lookup_field_name = "slug"
    url = serializers.HyperlinkedIdentityField(
        view_name="api:authority-detail", lookup_field="slug", help_text="This resource."
    )
    jurisdiction = NaturalKeyField(
        slug_field="code",
        queryset=Jurisdiction.objects.all(),
        help_text="Code of the jurisdiction the authority belongs to.",
    )

    website = OptionalURLField(
        required=False,
        default="",
        max_length=Authority._meta.get_field("website").max_length,
        help_text="Official website, if any.",
    )

    class Meta:
        model = Authority
        fields = ["slug", "url", "name", "abbreviation", "jurisdiction", "website"]
        extra_kwargs = {
            "slug": {"help_text": "URL-safe identifier, e.g. mofcom."},
            "name": {"help_text": "Full name."},
        }


class SectorSerializer(
    StrictFieldsMixin, ImmutableLookupMixin, UniqueConflictMixin, serializers.ModelSerializer
):
    lookup_field_name = "slug"
    url = serializers.HyperlinkedIdentityField(
        view_name="api:sector-detail", lookup_field="slug", help_text="This resource."
    )

    class Meta:
        model = Sector
        fields = ["slug", "url", "name"]
        extra_kwargs = {
            "slug": {"help_text": "URL-safe identifier, e.g. electric-vehicles."},
            "name": {"help_text": "Name of the sector."},
        }


@extend_schema_field(
    {"type": "string", "format": "hs-code", "pattern": r"^[0-9][0-9. ]*$", "maxLength": 20}
)
class HSCodeInputField(serializers.CharField):
    """An HS code in a body: text (a number would lose a chapter's leading zero), stored as
    digits only. Whether it is in the nomenclature is the material's rule."""

    default_error_messages = {"invalid": 'Give the HS code as text, e.g. "2805.30".'}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return normalize_hs_code(super().to_internal_value(data))


class MaterialSerializer(
    StrictFieldsMixin, ImmutableLookupMixin, UniqueConflictMixin, serializers.ModelSerializer
):
    lookup_field_name = "slug"
    url = serializers.HyperlinkedIdentityField(
        view_name="api:material-detail", lookup_field="slug", help_text="This resource."
    )
    hs_codes = UniqueListField(
        child=HSCodeInputField(max_length=20),
        required=False,
        help_text="Harmonized System codes: an HS 2022 chapter, heading or subheading (2, 4 or "
        "6 digits), or a national tariff line of 8 to 10 digits under a listed subheading. "
        "Dots and spaces are accepted (2805.30) and dropped.",
    )
    groups = GroupSlugField(
        many=True,
        slug_field="slug",
        queryset=Material.objects.filter(category=MaterialCategory.GROUP),
        required=False,
        help_text="Slugs of the groups this material belongs to directly.",
    )
    members = NaturalKeyField(
        many=True,
        slug_field="slug",
        read_only=True,
        help_text="Slugs of this group's direct members (empty for a non-group).",
    )

    class Meta:
        model = Material
        fields = [
            "slug",
            "url",
            "name",
            "category",
            "symbol",
            "atomic_number",
            "cas_number",
            "hs_codes",
            "groups",
            "members",
        ]
        extra_kwargs = {
            "slug": {"help_text": "URL-safe identifier, e.g. dysprosium."},
            "name": {"help_text": "Name of the material or group."},
            "category": {"help_text": "What kind of material this is."},
            "symbol": {"help_text": "Chemical symbol, for elements."},
            "atomic_number": {"help_text": "Atomic number, for elements."},
            "cas_number": {"help_text": "CAS registry number."},
        }
        validators: list = []  # the symbol's conditional uniqueness is checked by full_clean

    def validate(self, attrs):
        attrs = super().validate(attrs)
        material = copy.copy(self.instance) if self.instance is not None else Material()
        for name, value in attrs.items():
            if name != "groups":
                setattr(material, name, value)
        try:
            material.full_clean()
            if "groups" in attrs:
                material.validate_groups(attrs["groups"])
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return attrs


class HSCodeReferenceSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:hs-code-detail", lookup_field="code", help_text="This code's resource."
    )

    class Meta:
        model = HSCode
        fields = ["code", "url", "level", "description"]
        read_only_fields = fields
        extra_kwargs = {
            "code": {"help_text": "2, 4 or 6 digits: chapter, heading or subheading."},
            "level": {"help_text": "Where the code sits in the nomenclature."},
            "description": {"help_text": "The nomenclature's short English description."},
        }


class HSCodeSerializer(HSCodeReferenceSerializer):
    """A code of the HS 2022 nomenclature with what sits above and below it. Asked for a
    national tariff line, the answer is the subheading it extends, with a note."""

    parents = HSCodeReferenceSerializer(
        source="ancestors",
        many=True,
        read_only=True,
        help_text="The chapter, then the heading, this code sits in; empty for a chapter.",
    )
    children = HSCodeReferenceSerializer(
        many=True,
        read_only=True,
        help_text="The headings of a chapter, the subheadings of a heading; empty for a "
        "subheading (national lines are not listed).",
    )
    national_line = serializers.SerializerMethodField(
        help_text="The national tariff line (8 to 10 digits) that was asked for; null when a "
        "code of the nomenclature was."
    )
    note = serializers.SerializerMethodField(
        help_text="Why a national line is answered with its subheading; null otherwise."
    )

    class Meta(HSCodeReferenceSerializer.Meta):
        fields = [*HSCodeReferenceSerializer.Meta.fields, "parents", "children"]
        fields += ["national_line", "note"]
        read_only_fields = fields

    def get_national_line(self, entry: HSCode) -> str | None:
        return self.context.get("national_line")

    def get_note(self, entry: HSCode) -> str | None:
        line = self.context.get("national_line")
        if not line:
            return None
        return (
            f"{line} is a national tariff line, not part of the WCO's HS 2022 nomenclature; "
            f"this is the subheading it extends, {entry.code}."
        )


class WholeItemMixin:
    """An item of a nested list is given whole, also in a PATCH: PATCH replaces a list it
    carries, item by item, so an item missing a required field is refused as in a POST (DRF
    skips required fields and defaults everywhere under a partial update)."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        missing = {}
        for name, field in self.fields.items():
            given = getattr(field, "date_field", field.source)  # a PartialDateField sets two
            if field.read_only or given in attrs:
                continue
            if field.required:
                missing[name] = [
                    serializers.ErrorDetail(field.error_messages["required"], "required")
                ]
            elif field.default is not empty:  # get_default() skips them under a partial update
                default = field.default
                attrs[field.source] = default() if callable(default) else default
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class MeasureMaterialSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    material = NaturalKeyField(
        slug_field="slug", queryset=Material.objects.all(), help_text="Slug of the material."
    )
    name = serializers.CharField(
        source="material.name", read_only=True, help_text="Name of the material."
    )
    scope = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        required=False,
        default="",
        help_text="Which forms or items of the material are covered.",
    )


class MeasureEventSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    date = PartialDateField(
        date_field="date",
        help_text="When it happened: a day (YYYY-MM-DD), or only the month (YYYY-MM) or the "
        "year (YYYY) where the source gives no more.",
    )
    date_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        read_only=True,
        help_text="How precisely the date is known (day, month or year), as its form shows.",
    )
    type = serializers.ChoiceField(choices=EventType.choices, help_text="What happened.")
    note = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=5000, help_text="Free-text note."
    )
    source_url = OptionalURLField(
        required=False, default="", max_length=500, help_text="Where it is stated, if anywhere."
    )
    scheduled = serializers.BooleanField(
        required=False, default=False, help_text=MeasureEvent._meta.get_field("scheduled").help_text
    )


class MeasureRelationSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    measure = NaturalKeyField(
        source="to_measure",
        slug_field="key",
        queryset=Measure.objects.all(),
        help_text="Key of the other measure.",
    )
    relation = serializers.ChoiceField(
        choices=RelationType.choices,
        help_text="How this measure relates to the other: this measure <relation> the other.",
    )


class MeasureSourceSerializer(WholeItemMixin, StrictFieldsMixin, serializers.Serializer):
    url = serializers.URLField(max_length=500, help_text="Address of the source.")
    title = serializers.CharField(
        max_length=500, allow_blank=True, required=False, default="", help_text="Its title."
    )
    publisher = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default="", help_text="Who published it."
    )
    published_on = ISODateField(
        allow_null=True,
        required=False,
        default=None,
        validators=date_range_validators,
        help_text="When it was published.",
    )


MEASURE_EXAMPLE = {
    "key": "cn-mofcom-gac-2025-18",
    "url": "https://regwatch.example/api/v1/measures/cn-mofcom-gac-2025-18/",
    "title": "Export controls on seven medium and heavy rare earths",
    "reference": "MOFCOM/GAC Announcement No. 18 of 2025",
    "jurisdiction": "CN",
    "authorities": ["gac", "mofcom"],
    "measure_type": "export_licence_requirement",
    "status": "in_force",
    "status_confirmed": True,
    "status_certain": True,
    "summary": "Samarium, gadolinium, terbium, dysprosium, lutetium, scandium and yttrium items "
    "need a dual-use export licence.",
    "announced_on": "2025-04-04",
    "announced_on_precision": "day",
    "effective_on": "2025-04-04",
    "effective_on_precision": "day",
    "ends_on": None,
    "ends_on_precision": "day",
    "target_jurisdictions": [],
    "materials": [
        {
            "material": "dysprosium",
            "name": "Dysprosium",
            "scope": "metal, alloys, targets, oxides, compounds and mixtures",
        }
    ],
    "sectors": ["defence", "electric-vehicles", "wind-turbines"],
    "events": [
        {
            "date": "2025-04-04",
            "date_precision": "day",
            "type": "announced",
            "note": "Effective on publication.",
            "source_url": "",
            "scheduled": False,
        }
    ],
    "related": [],
    "sources": [
        {
            "url": "https://www.mofcom.gov.cn/",
            "title": "Announcement No. 18 of 2025",
            "publisher": "MOFCOM",
            "published_on": "2025-04-04",
        }
    ],
    "confidence": "high",
    "notes": "",
    "created_at": "2026-11-01T09:00:00Z",
    "updated_at": "2026-11-01T09:00:00Z",
}


@extend_schema_serializer(
    examples=[
        OpenApiExample("A rare-earth export control", value=MEASURE_EXAMPLE, response_only=True)
    ]
)
class MeasureSerializer(
    StrictFieldsMixin, ImmutableLookupMixin, UniqueConflictMixin, serializers.ModelSerializer
):
    lookup_field_name = "key"
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: ISODateField,
    }
    url = serializers.HyperlinkedIdentityField(
        view_name="api:measure-detail", lookup_field="key", help_text="This resource."
    )
    jurisdiction = NaturalKeyField(
        slug_field="code",
        queryset=Jurisdiction.objects.all(),
        help_text="Issuing jurisdiction code.",
    )
    authorities = NaturalKeyField(
        many=True,
        slug_field="slug",
        queryset=Authority.objects.all(),
        required=False,
        help_text="Slugs of the issuing authorities.",
    )
    status = serializers.SerializerMethodField(
        help_text="Status today (UTC), or in a list on the day asked about (`as_of`, else "
        "`in_force_on`): upcoming, in_force, suspended or ended; null before the measure is "
        "announced."
    )
    status_confirmed = serializers.SerializerMethodField(
        help_text="False when the status rests on a scheduled event dated on or before the "
        "status's day that no source confirms (a suspension's announced end, a date set for "
        "entry into force)."
    )
    status_certain = serializers.SerializerMethodField(
        help_text="False when the status's day lies inside the month or year of a date known "
        "only to the month or the year (the announcement, entry into force, end, or a "
        "suspension or reinstatement): the status takes such a date as the first day of its "
        "period, and another day of that period could give another status."
    )
    announced_on = PartialDateField(
        date_field="announced_on",
        allow_null=True,
        required=False,
        help_text="When it was announced or published: YYYY-MM-DD, or YYYY-MM or YYYY where "
        "the source gives only the month or the year.",
    )
    effective_on = PartialDateField(
        date_field="effective_on",
        allow_null=True,
        required=False,
        help_text="First day it applies (entry into force); YYYY-MM or YYYY when only the "
        "month or the year is known.",
    )
    ends_on = PartialDateField(
        date_field="ends_on",
        allow_null=True,
        required=False,
        help_text="First day it no longer applies; YYYY-MM or YYYY when only the month or the "
        "year is known; null when open-ended.",
    )
    target_jurisdictions = NaturalKeyField(
        many=True,
        slug_field="code",
        queryset=Jurisdiction.objects.all(),
        required=False,
        help_text="Codes of the jurisdictions the measure is aimed at; empty when it applies "
        "to all.",
    )
    materials = MeasureMaterialSerializer(
        many=True, source="material_links", required=False, help_text="Affected materials."
    )
    sectors = NaturalKeyField(
        many=True,
        slug_field="slug",
        queryset=Sector.objects.all(),
        required=False,
        help_text="Slugs of the sectors that depend on the materials.",
    )
    events = MeasureEventSerializer(
        many=True,
        source="recorded_events",
        required=False,
        help_text="Recorded events. The timeline endpoint adds the entries implied by the dates.",
    )
    related = MeasureRelationSerializer(
        many=True, source="relations", required=False, help_text="Relations to other measures."
    )
    sources = MeasureSourceSerializer(many=True, required=False, help_text="Cited sources.")

    class Meta:
        model = Measure
        fields = [
            "key",
            "url",
            "title",
            "reference",
            "jurisdiction",
            "authorities",
            "measure_type",
            "status",
            "status_confirmed",
            "status_certain",
            "summary",
            "announced_on",
            "announced_on_precision",
            "effective_on",
            "effective_on_precision",
            "ends_on",
            "ends_on_precision",
            "target_jurisdictions",
            "materials",
            "sectors",
            "events",
            "related",
            "sources",
            "confidence",
            "notes",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "key": {"help_text": "Stable URL-safe identifier, e.g. cn-mofcom-2025-62."},
            "title": {"help_text": "Short title."},
            "reference": {"help_text": "Official reference of the document."},
            "measure_type": {"help_text": "What kind of measure this is."},
            "summary": {"help_text": "One or two sentences."},
            **{
                f"{name}_precision": {
                    "read_only": True,
                    "help_text": f"How precisely {name} is known: day, month or year, as its "
                    "form shows.",
                }
                for name in MEASURE_DATE_FIELDS
            },
            "confidence": {"help_text": "How sure the record is, given its sources."},
            "notes": {"help_text": "Where sources were thin or disagreed."},
            "created_at": {"help_text": "When the record was created."},
            "updated_at": {
                "help_text": "When the record or any nested part last changed "
                "(use with updated_since)."
            },
        }

    @extend_schema_field(serializers.ChoiceField(choices=MeasureStatus.choices, allow_null=True))
    def get_status(self, measure: Measure) -> str | None:
        if hasattr(measure, "status"):
            return measure.status
        return measure.status_on(timezone.localdate())

    @extend_schema_field(serializers.BooleanField())
    def get_status_confirmed(self, measure: Measure) -> bool:
        if hasattr(measure, "status_confirmed"):
            return measure.status_confirmed
        return measure.status_confirmed_on(timezone.localdate())

    @extend_schema_field(serializers.BooleanField())
    def get_status_certain(self, measure: Measure) -> bool:
        if hasattr(measure, "status_certain"):
            return measure.status_certain
        return measure.status_certain_on(timezone.localdate())

    def create(self, validated_data):
        return self._save(Measure(), validated_data)

    def update(self, instance, validated_data):
        if not self.partial:
            for source in ("authorities", "target_jurisdictions", "sectors", "material_links",
                           "recorded_events", "sources", "relations"):  # fmt: skip
                validated_data.setdefault(source, [])
        return self._save(instance, validated_data)

    def _save(self, measure: Measure, data: dict) -> Measure:
        def nested(name, build=None):
            value = data.pop(name, None)
            if value is None or build is None:
                return value
            return [build(item) for item in value]

        authorities = nested("authorities")
        targets = nested("target_jurisdictions")
        sectors = nested("sectors")
        materials = nested(
            "material_links", lambda i: MaterialLink(i["material"], i.get("scope", ""))
        )
        events = nested("recorded_events", lambda i: EventEntry(**i))
        sources = nested("sources", lambda i: SourceEntry(**i))
        relations = nested("relations", lambda i: RelationEntry(i["to_measure"], i["relation"]))
        for name, value in data.items():
            setattr(measure, name, value)
        try:
            with transaction.atomic():
                save_measure(
                    measure,
                    authorities=authorities,
                    target_jurisdictions=targets,
                    sectors=sectors,
                    materials=materials,
                    events=events,
                    sources=sources,
                    relations=relations,
                )
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return measure_queryset().get(pk=measure.pk)


class MeasureReferenceSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:measure-detail", lookup_field="key", help_text="The measure."
    )

    class Meta:
        model = Measure
        fields = ["key", "title", "url"]
        extra_kwargs = {
            "key": {"help_text": "Key of the measure."},
            "title": {"help_text": "Its title."},
        }


class TimelineEventSerializer(serializers.ModelSerializer):
    measure = MeasureReferenceSerializer(
        read_only=True, help_text="The measure the event belongs to."
    )

    source_url = OptionalURLField(read_only=True, help_text="Where it is stated, if anywhere.")
    date = PartialDateField(
        date_field="date",
        read_only=True,
        help_text="When it happened: YYYY-MM-DD, or YYYY-MM or YYYY where only the month or the "
        "year is known.",
    )

    class Meta:
        model = MeasureEvent
        fields = [
            "date",
            "date_precision",
            "type",
            "note",
            "source_url",
            "scheduled",
            "derived",
            "measure",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "date_precision": {
                "help_text": "How precisely the date is known (day, month or year)."
            },
            "type": {"help_text": "What happened."},
            "note": {"help_text": "Free-text note."},
            "scheduled": {"help_text": MeasureEvent._meta.get_field("scheduled").help_text},
            "derived": {
                "help_text": "True when the entry comes from the measure's announced_on, "
                "effective_on or ends_on rather than a recorded event."
            },
        }


class SnapshotMaterialSerializer(serializers.Serializer):
    material = serializers.CharField(help_text="Slug of the material.")
    scope = serializers.CharField(help_text="Which forms or items were covered.")


class SnapshotRelationSerializer(serializers.Serializer):
    measure = serializers.CharField(help_text="Key of the other measure.")
    relation = serializers.ChoiceField(choices=RelationType.choices, help_text="The relation.")


class MeasureSnapshotSerializer(serializers.Serializer):
    """A measure as one version recorded it."""

    key = serializers.CharField(help_text="Key of the measure.")
    title = serializers.CharField(help_text="Short title.")
    reference = serializers.CharField(help_text="Official reference.")
    jurisdiction = serializers.CharField(help_text="Issuing jurisdiction code.")
    measure_type = serializers.ChoiceField(choices=MeasureType.choices, help_text="Type.")
    summary = serializers.CharField(help_text="Summary.")
    announced_on = PartialDateField(
        date_field="announced_on", read_only=True, allow_null=True, help_text="When announced."
    )
    announced_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, help_text="How precisely announced_on is known."
    )
    effective_on = PartialDateField(
        date_field="effective_on",
        read_only=True,
        allow_null=True,
        help_text="First day it applied.",
    )
    effective_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, help_text="How precisely effective_on is known."
    )
    ends_on = PartialDateField(
        date_field="ends_on",
        read_only=True,
        allow_null=True,
        help_text="First day it no longer applied.",
    )
    ends_on_precision = serializers.ChoiceField(
        choices=DatePrecision.choices, help_text="How precisely ends_on is known."
    )
    confidence = serializers.ChoiceField(choices=Confidence.choices, help_text="Confidence.")
    notes = serializers.CharField(help_text="Notes.")
    authorities = serializers.ListField(child=serializers.CharField(), help_text="Authority slugs.")
    target_jurisdictions = serializers.ListField(
        child=serializers.CharField(), help_text="Target jurisdiction codes."
    )
    sectors = serializers.ListField(child=serializers.CharField(), help_text="Sector slugs.")
    materials = SnapshotMaterialSerializer(many=True, help_text="Affected materials.")
    events = MeasureEventSerializer(many=True, help_text="Recorded events.")
    related = SnapshotRelationSerializer(many=True, help_text="Relations to other measures.")
    sources = MeasureSourceSerializer(many=True, help_text="Cited sources.")


class FieldChangeSerializer(serializers.Serializer):
    old = serializers.JSONField(allow_null=True, help_text="Value before this version.")
    new = serializers.JSONField(allow_null=True, help_text="Value in this version.")


class MeasureVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="Identifier of this version (for restore).")
    recorded_at = serializers.DateTimeField(help_text="When the change was recorded.")
    action = serializers.ChoiceField(
        choices=[("created", "Created"), ("changed", "Changed"), ("deleted", "Deleted")],
        help_text="What happened to the measure.",
    )
    user = serializers.CharField(
        allow_null=True,
        help_text="Username of whoever made the change, shown to authenticated readers only: "
        "null for anonymous clients, and for changes made by the loader.",
    )
    reason = serializers.CharField(
        allow_null=True, help_text="Why, when recorded (e.g. load_timeline, a restore)."
    )
    changes = serializers.DictField(
        child=FieldChangeSerializer(),
        help_text="Fields (nested lists included) that differ from the previous version.",
    )
    measure = MeasureSnapshotSerializer(help_text="The measure as this version recorded it.")
