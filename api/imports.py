"""``POST /api/v1/imports/``: the dataset loader over HTTP. The view only translates: it takes
the file (a multipart upload, or the body itself as JSON or CSV), hands it to
``timeline.importers`` with the user and reason for the history, and answers with the
importer's report, or its problems as 400s naming record and field."""

from __future__ import annotations

from typing import NamedTuple

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from timeline.dataset import SECTIONS
from timeline.importers import (
    REASON_LENGTH,
    ImportReport,
    LoadError,
    Outcome,
    WarningCode,
    format_of,
    load,
    parse,
)
from timeline.importers import csv as csv_format
from timeline.importers import json as json_format

from .exceptions import RequestTooLarge
from .parameters import StrictQueryParametersMixin

IMPORT_REASON = "import"
MEASURE_PERMISSIONS = ("timeline.add_measure", "timeline.change_measure")


class Body(NamedTuple):
    format: str
    data: bytes


class DatasetBodyParser(BaseParser):
    """Hands the body over as bytes, with the format its media type names: the importer
    reads it, so that its errors name the record and field rather than a position in the
    stream."""

    format: str

    def parse(self, stream, media_type=None, parser_context=None) -> Body:
        return Body(self.format, stream.read() if stream is not None else b"")


class JSONDatasetParser(DatasetBodyParser):
    media_type = json_format.MEDIA_TYPE
    format = "json"


class CSVDatasetParser(DatasetBodyParser):
    media_type = csv_format.MEDIA_TYPE
    format = "csv"


class CanImport(BasePermission):
    """An import adds and changes measures; what else it needs depends on the file and is
    checked once the file is read (see ``ImportView.authorize``)."""

    message = "Importing needs the add and change permissions on measures."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perms(MEASURE_PERMISSIONS))


# ---------------------------------------------------------------- what the schema shows
class ImportOptionsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Validate and answer with what would change, writing nothing.",
    )
    strict = serializers.BooleanField(
        required=False, default=False, help_text="Refuse the file on any warning."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REASON_LENGTH,
        help_text="Why, recorded in the history of every record the import writes.",
    )


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The dataset: a .csv file is read as CSV, anything else as JSON."
    )


class ImportSectionCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Records created.")
    updated = serializers.IntegerField(help_text="Records updated.")
    unchanged = serializers.IntegerField(help_text="Records the file defines as they are.")


class ImportSectionsSerializer(serializers.Serializer):
    jurisdictions = ImportSectionCountsSerializer(help_text="Jurisdictions.")
    authorities = ImportSectionCountsSerializer(help_text="Authorities.")
    sectors = ImportSectionCountsSerializer(help_text="Sectors.")
    materials = ImportSectionCountsSerializer(help_text="Materials and groups.")
    measures = ImportSectionCountsSerializer(help_text="Measures.")


class ImportFieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The field, as the dataset names it.")
    old = serializers.JSONField(allow_null=True, help_text="Its value before the import.")
    new = serializers.JSONField(allow_null=True, help_text="Its value after the import.")


class ImportRecordChangeSerializer(serializers.Serializer):
    section = serializers.ChoiceField(choices=SECTIONS, help_text="The record's section.")
    record = serializers.CharField(help_text="Its key, slug or code.")
    outcome = serializers.ChoiceField(
        choices=[Outcome.CREATED.value, Outcome.UPDATED.value], help_text="What the import did."
    )
    note = serializers.CharField(
        allow_blank=True,
        help_text="Why, when not plain (an authority nobody declared).",
    )
    fields = ImportFieldChangeSerializer(
        many=True, help_text="For an update, each changed field with its old and new value."
    )


class ImportWarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[code.value for code in WarningCode], help_text="What kind of warning."
    )
    field = serializers.CharField(help_text="The field it is about.")
    detail = serializers.CharField(help_text="What was ignored or guessed, for a person.")
    records = serializers.ListField(
        child=serializers.CharField(), help_text="The records concerned, e.g. measures[cn-x]."
    )


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(help_text="True when nothing was written.")
    sections = ImportSectionsSerializer(help_text="How many records of each section were created, "
                                  "updated or left unchanged.")  # fmt: skip
    changes = ImportRecordChangeSerializer(many=True, help_text="Every created or updated record.")
    warnings = ImportWarningSerializer(many=True, help_text="What the import ignored or guessed.")


class ImportErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="What is wrong, for a person.")
    attr = serializers.CharField(
        allow_null=True,
        help_text="The record and field, e.g. measures[cn-x].materials.0; file for the file as "
        "a whole; or the query parameter.",
    )


class ImportErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=["validation_error", "client_error"], help_text="Error family."
    )
    errors = ImportErrorSerializer(many=True, help_text="Every problem found; nothing was written.")


# A real measure (89 FR 101682), as a second team would send it.
EXAMPLE_FILE = {
    "authorities": [
        {
            "abbreviation": "USTR",
            "name": "Office of the United States Trade Representative",
            "jurisdiction": "US",
            "website": "https://ustr.gov/",
        }
    ],
    "measures": [
        {
            "key": "us-ustr-301-2024-tungsten-wafers-polysilicon",
            "title": "Section 301 tariff increases on certain tungsten products, wafers and "
            "polysilicon",
            "jurisdiction": "US",
            "authorities": ["USTR"],
            "measure_type": "other",
            "announced_on": "2024-12-11",
            "effective_on": "2025-01-01",
            "target_jurisdictions": ["CN"],
            "materials": [{"name": "Tungsten", "scope": "unwrought tungsten, bars, rods"}],
            "events": [{"date": "2024-12-16", "type": "published", "note": "89 FR 101682"}],
        }
    ],
}

EXAMPLE_REPORT = {
    "dry_run": True,
    "sections": {section: {"created": 0, "updated": 0, "unchanged": 0} for section in SECTIONS}
    | {
        "authorities": {"created": 1, "updated": 0, "unchanged": 0},
        "materials": {"created": 0, "updated": 1, "unchanged": 2},
        "measures": {"created": 1, "updated": 0, "unchanged": 0},
    },
    "changes": [
        {
            "section": "authorities",
            "record": "ustr",
            "outcome": "created",
            "note": "not declared; named by measures[us-ustr-301-review-2024]",
            "fields": [],
        },
        {
            "section": "materials",
            "record": "graphite",
            "outcome": "updated",
            "note": "defined by measures[us-ustr-301-review-2024].materials.2",
            "fields": [{"field": "symbol", "old": None, "new": "C"}],
        },
        {
            "section": "measures",
            "record": "us-ustr-301-review-2024",
            "outcome": "created",
            "note": "",
            "fields": [],
        },
    ],
    "warnings": [
        {
            "code": "unknown_field",
            "field": "atomic_number_source",
            "detail": "unknown field 'atomic_number_source' in materials, ignored",
            "records": ["materials[tungsten]"],
        }
    ],
}


class ImportView(StrictQueryParametersMixin, APIView):
    """Load a file in the dataset format (JSON or CSV), atomically: any problem writes
    nothing. Needs the add and change permissions on measures, and on any other kind of
    record the file creates or changes."""

    extra_query_parameters = {"post": tuple(ImportOptionsSerializer().fields)}

    permission_classes = [CanImport]
    parser_classes = [MultiPartParser, JSONDatasetParser, CSVDatasetParser]
    body_limit_setting = "REGWATCH_IMPORT_MAX_BYTES"  # read by api.middleware

    @extend_schema(
        operation_id="imports_create",
        summary="Import a dataset",
        description=(
            "Send the file as a multipart upload in the `file` field (`.csv` is read as CSV, "
            "anything else as JSON), or as the body itself with `Content-Type: "
            "application/json` or `text/csv`. With `dry_run=true` the answer says what would "
            "change, field by field, and nothing is written; otherwise the whole file is "
            "applied in one transaction and the answer is the same summary. Warnings (unknown "
            "fields, authorities nobody declared) do not stop the import unless "
            "`strict=true`. Every record written is recorded in the history with the user and "
            "`reason`. Files over the configured size limit get 413."
        ),
        parameters=[ImportOptionsSerializer],
        request={
            "multipart/form-data": ImportUploadSerializer,
            json_format.MEDIA_TYPE: OpenApiTypes.OBJECT,
            csv_format.MEDIA_TYPE: OpenApiTypes.STR,
        },
        responses={200: ImportReportSerializer, 400: ImportErrorResponseSerializer},
        examples=[
            OpenApiExample("A dry run", value=EXAMPLE_REPORT, response_only=True),
            OpenApiExample(
                "A measure file",
                value=EXAMPLE_FILE,
                request_only=True,
                media_type=json_format.MEDIA_TYPE,
            ),
        ],
    )
    def post(self, request):
        options = ImportOptionsSerializer(data=request.query_params)
        options.is_valid(raise_exception=True)
        data, format, source = self.dataset(request)
        try:
            report = load(
                [parse(data, format, source)],
                dry_run=options.validated_data["dry_run"],
                strict=options.validated_data["strict"],
                reason=options.validated_data.get("reason") or IMPORT_REASON,
                user=request.user,
                before_commit=lambda report: self.authorize(request, report),
            )
        except LoadError as error:
            problems: dict[str, list[str]] = {}
            for problem in error.problems:
                problems.setdefault(problem.attr, []).append(problem.message)
            raise ValidationError(problems) from error
        return Response(report.as_dict(), status=status.HTTP_200_OK)

    def dataset(self, request) -> tuple[bytes, str, str]:
        """The file's bytes, its format and a name for messages."""
        limit = settings.REGWATCH_IMPORT_MAX_BYTES
        body = request.data
        if isinstance(body, Body):
            data, format, source = body.data, body.format, "the request body"
        else:
            uploads = request.FILES.getlist("file")
            if len(uploads) > 1:
                raise ValidationError({"file": ["Send one file per import."]})
            upload = uploads[0] if uploads else None
            if upload is None:
                raise ValidationError(
                    {"file": ["Send the dataset as the body, or attach it in the file field."]}
                )
            if limit is not None and upload.size > limit:
                raise RequestTooLarge(f"Request bodies are limited to {limit} bytes.")
            data, format, source = upload.read(), format_of(upload.name or ""), upload.name
        if not data:
            raise ValidationError({"file": ["The dataset is empty."]})
        if limit is not None and len(data) > limit:
            raise RequestTooLarge(f"Request bodies are limited to {limit} bytes.")
        return data, format, source or "the upload"

    @staticmethod
    def authorize(request, report: ImportReport) -> None:
        """Refuse, before anything is committed, a file that creates or changes a kind of
        record the user may not add or change."""
        missing = sorted(p for p in report.permissions_needed() if not request.user.has_perm(p))
        if missing:
            raise PermissionDenied(
                f"This file needs permissions you do not have: {', '.join(missing)}."
            )
