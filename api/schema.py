"""OpenAPI: what drf-spectacular cannot infer on its own."""

import re

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors import openapi as standardized_errors_openapi
from drf_standardized_errors.openapi_serializers import ClientErrorEnum
from inflection import camelize
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.validators import UniqueTogetherValidator

from regwatch.serve import MAX_HEADER_FIELDS, MAX_REQUEST_TARGET

from .conditional import (
    ETAG,
    IF_MATCH,
    IF_MODIFIED_SINCE,
    IF_NONE_MATCH,
    IF_NONE_MATCH_ON_WRITE,
    IF_UNMODIFIED_SINCE,
    ConditionalListMixin,
    ConditionalRequestsMixin,
)
from .parameters import (
    EMPTY_VALUE,
    FORMAT_PARAMETER,
    REPEATED_PARAMETER,
    UNKNOWN_PARAMETER,
    StrictQueryParametersMixin,
    reference_format,
)
from .serializers import UNKNOWN_FIELD, UniqueConflictMixin, UniqueValidator

PATH_PARAMETERS = {
    "measures": "Key of the measure, e.g. cn-mofcom-2025-62.",
    "materials": "Slug of the material or group, e.g. dysprosium.",
    "jurisdictions": "ISO 3166-1 alpha-2 or bloc code of the jurisdiction, e.g. CN.",
    "authorities": "Slug of the authority, e.g. mofcom.",
    "sectors": "Slug of the sector, e.g. electric-vehicles.",
    "subscriptions": "Id of the webhook subscription.",
    "hs": "HS code: 2, 4 or 6 digits, dots allowed (2805.30), or a national tariff line of "
    "8 to 10 digits.",
}


VERSION_PARAMETER = "A version of the measure, as its history lists them."


def describe_path_parameters(result, generator, request, public):
    """Describe each resource's lookup parameter (key, slug or code) in the path."""
    for path, operations in result.get("paths", {}).items():
        resource = path.removeprefix("/api/v1/").removeprefix("history/").split("/")[0]
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and not parameter.get("description"):
                    parameter["description"] = (
                        VERSION_PARAMETER
                        if parameter["name"] == "version"
                        else PATH_PARAMETERS[resource]
                    )
    return result


class NaturalKeyReference(OpenApiSerializerFieldExtension):
    """A writable slug or code field that names another record: its ``format`` says which
    records' keys it takes (``material-slug``), as the filters' parameters do."""

    target_class = "rest_framework.relations.SlugRelatedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if field.queryset is not None:
            schema["format"] = getattr(field, "reference_format", None) or reference_format(
                field.queryset.model, field.slug_field
            )
        return schema


class ISODay(OpenApiSerializerFieldExtension):
    """A day in a body: YYYY-MM-DD exactly."""

    target_class = "api.serializers.ISODateField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": r"^\d{4}-\d{2}-\d{2}$"} if direction == "request" else schema


class UniqueItems(OpenApiSerializerFieldExtension):
    """A list each of whose items may be given once."""

    target_class = "api.serializers.UniqueListField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "uniqueItems": True}


class ClientErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    attr = serializers.CharField(allow_null=True, help_text="Always null for these errors.")


class ClientErrorResponseSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=ClientErrorEnum.choices, help_text="Error family.")
    errors = ClientErrorSerializer(many=True, help_text="The errors.")


class ConflictErrorSerializer(ClientErrorSerializer):
    attr = serializers.CharField(
        allow_null=True,
        help_text="The unique field whose value another resource already has (the detail "
        "ends with that resource's URL); null for other conflicts.",
    )


class ConflictErrorResponseSerializer(ClientErrorResponseSerializer):
    errors = ConflictErrorSerializer(many=True, help_text="The errors.")


class AutoSchema(standardized_errors_openapi.AutoSchema):
    """Documents what the API adds on top of drf-standardized-errors: conditional requests
    (If-Match, If-None-Match, 304, 412), what 406 means, conflicts (409), chunked bodies (411)
    and the body size limit (413)."""

    def get_auth(self):
        """Reads are open to anonymous clients unless ``REGWATCH_API_REQUIRE_AUTH`` is on: say
        so with an empty security requirement beside the token and session ones."""
        auths = super().get_auth()
        if (
            self.method in SAFE_METHODS
            and not settings.REGWATCH_API_REQUIRE_AUTH
            and {} not in auths
        ):
            auths.append({})
        return auths

    def _should_add_validation_error_response(self) -> bool:
        """Every operation refuses unknown and repeated query parameters with a 400."""
        return True

    def _get_extra_validation_errors(self):
        errors = {
            name: set(codes) for name, codes in super()._get_extra_validation_errors().items()
        }
        accepted = single_valued = {FORMAT_PARAMETER}
        if isinstance(self.view, StrictQueryParametersMixin):
            self.view.request = getattr(self.view, "request", None) or _schema_request(self.method)
            accepted, list_valued = self.view.accepted_query_parameters()
            single_valued = accepted - list_valued
        if self.method == "GET" and self._is_list_view() and self.view.paginator is not None:
            for name in ("page", "page_size"):
                errors.setdefault(name, set()).add("invalid")
        for name in sorted(single_valued):  # sorted: the same schema from every run
            errors.setdefault(name, set()).add(REPEATED_PARAMETER)
        for name in sorted(accepted):
            errors.setdefault(name, set()).add(EMPTY_VALUE)
        return errors

    def _is_conditional_read(self) -> bool:
        """A GET whose answer carries an ETag: a detail or a list page."""
        if self.method != "GET":
            return False
        if self._is_list_view():
            return isinstance(self.view, ConditionalListMixin)
        return isinstance(self.view, ConditionalRequestsMixin)

    def _is_conditional_write(self) -> bool:
        return self.method in ("PUT", "PATCH", "DELETE") and isinstance(
            self.view, ConditionalRequestsMixin
        )

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._is_conditional_read():
            parameters += [IF_NONE_MATCH, IF_MODIFIED_SINCE, ETAG]
        elif self._is_conditional_write():
            parameters += [IF_MATCH, IF_UNMODIFIED_SINCE, IF_NONE_MATCH_ON_WRITE]
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction=direction)
        if direction != "response":
            return responses
        extra = {}
        if self._is_conditional_read():
            extra["304"] = self._get_response_for_code(
                OpenApiResponse(description="Not modified: the ETag sent is current."), "304"
            )
        elif self._is_conditional_write():
            extra["412"] = self._error("412", "The If-Match ETag is stale.")
        if self._may_take_a_unique_value():
            extra["409"] = self._error(
                "409",
                "A unique field's value belongs to another resource, and nothing else is wrong.",
                ConflictErrorResponseSerializer,
            )
        elif self.method == "DELETE" or getattr(self.view, "may_conflict", False):
            extra["409"] = self._error("409", "Conflicts with the current state.")
        # Any request may carry a body, and it is read (or refused) before the view.
        extra["411"] = self._error(
            "411", "The body is chunked (Transfer-Encoding): send it with a Content-Length."
        )
        extra["413"] = self._error("413", "The body is over the size limit.")
        if "406" in responses:
            responses["406"]["description"] = (
                "The format asked for (?format= or Accept) is not offered; the error lists the "
                "offered ones."
            )
        return {**responses, **extra}

    def _may_take_a_unique_value(self) -> bool:
        """A create, or an update of a unique field other than the one in the URL (which an
        update cannot change at all)."""
        if self.method not in ("POST", "PUT", "PATCH"):
            return False
        serializer = force_instance(self.get_request_serializer())
        if not isinstance(serializer, UniqueConflictMixin):
            return False
        unique = {
            name
            for name, field in serializer.fields.items()
            if any(isinstance(validator, UniqueValidator) for validator in field.validators)
        }
        if self.method != "POST":
            unique.discard(serializer.lookup_field_name)
        unique.update(getattr(serializer, "conflicting_fields", ()))
        together = any(isinstance(v, UniqueTogetherValidator) for v in serializer.validators)
        return bool(unique) or together

    def _error(
        self, status_code: str, description: str, serializer=ClientErrorResponseSerializer
    ) -> dict:
        response = self._get_response_for_code(serializer, status_code)
        response["description"] = description
        return response


def index_patterns_for_error_attrs(result, generator, request, public):
    """drf-standardized-errors names list items ``materials.INDEX.scope`` in the schema but
    ``materials.0.scope`` in responses, and reports a malformed nested value at ``materials``
    or ``materials.0`` rather than at their ``non_field_errors``: describe those attrs with a
    pattern instead."""
    for component in result.get("components", {}).get("schemas", {}).values():
        attr = component.get("properties", {}).get("attr", {})
        values = attr.get("enum") or []
        # A nested value that is not an object or list at all (null, a number) is reported
        # at its own name, not at its ``non_field_errors``.
        bare = [
            v.removesuffix(".non_field_errors")
            for v in values
            if v.endswith(".non_field_errors") and v != "non_field_errors"
        ]
        if bare or any("INDEX" in value for value in values):
            alternatives = "|".join(re.escape(v).replace("INDEX", r"\d+") for v in [*values, *bare])
            component["properties"]["attr"] = {
                "type": "string",
                "pattern": f"^({alternatives})$",
                "description": "The field, with list positions as numbers.",
            }
    return result


def _schema_request(method: str):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    return Request(APIRequestFactory().generic(method, "/"))


UNKNOWN_PARAMETER_COMPONENT = "UnknownQueryParameterError"
UNKNOWN_FIELD_COMPONENT = "UnknownBodyFieldError"


def _unknown_name_component(code: str, what: str) -> dict:
    return {
        "type": "object",
        "properties": {
            "attr": {"type": "string", "description": f"The unknown {what}, as sent."},
            "code": {"type": "string", "enum": [code], "description": f"Always {code}."},
            "detail": {"type": "string", "description": "What went wrong, and what is known."},
        },
        "required": ["attr", "code", "detail"],
    }


def refuse_unknown_query_parameters(result, generator, request, public):
    """Any operation answers an unknown query parameter with a 400 naming it, and one with a
    body an unknown body field (``events.0.mood``) likewise; the name is whatever the client
    sent, so these errors are described by their codes, not an enum of names."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[UNKNOWN_PARAMETER_COMPONENT] = _unknown_name_component(
        UNKNOWN_PARAMETER, "query parameter"
    )
    schemas[UNKNOWN_FIELD_COMPONENT] = _unknown_name_component(UNKNOWN_FIELD, "body field")
    with_body = {
        f"{camelize(operation['operationId'])}Error"
        for operations in result.get("paths", {}).values()
        for method, operation in operations.items()
        if "requestBody" in operation or method in ("post", "put", "patch")
    }
    for name, component in schemas.items():
        discriminator = component.get("discriminator", {})
        if name.endswith("Error") and discriminator.get("propertyName") == "attr":
            component["oneOf"].append(
                {"$ref": f"#/components/schemas/{UNKNOWN_PARAMETER_COMPONENT}"}
            )
            if name in with_body:
                component["oneOf"].append(
                    {"$ref": f"#/components/schemas/{UNKNOWN_FIELD_COMPONENT}"}
                )
            del component["discriminator"]  # an unknown name maps to no component
    return result


def describe_transport_refusals(result, generator, request, public):
    """Every operation may meet what the HTTP server refuses before RegWatch sees the request,
    always with an empty body (``regwatch.serve``): 414 for a request target over
    ``MAX_REQUEST_TARGET`` bytes and 431 for too many or too large header fields; a request it
    cannot parse gets its empty 400."""
    refusals = {
        "414": f"The request target (address and query) is over {MAX_REQUEST_TARGET:,} bytes: "
        "refused by the HTTP server itself, with an empty body.",
        "431": f"More than {MAX_HEADER_FIELDS} header fields, or a header section larger than "
        "the HTTP server's buffer: refused by the HTTP server itself, with an empty body.",
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in refusals.items():
                responses.setdefault(status, {"description": description})
            if "400" in responses:
                responses["400"]["description"] = (
                    f"{responses['400'].get('description', '')} A body that ends before its "
                    "Content-Length is refused (`parse_error`), and a request the HTTP "
                    "server cannot parse is refused by it with an empty body."
                ).strip()
    return result


NO_NUL = "^[^\\u0000]*$"


def refuse_nul_characters(result, generator, request, public):
    """No text the API takes may hold a NUL character (PostgreSQL cannot store one): every
    free-text string in a request body or query says so with a pattern."""
    schemas = result.get("components", {}).get("schemas", {})

    def visit(schema) -> None:
        if not isinstance(schema, dict) or "$ref" in schema:
            return
        if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & schema.keys()):
            schema["pattern"] = NO_NUL
        for child in (*schema.get("properties", {}).values(), schema.get("items")):
            visit(child)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for child in schema.get(keyword, []):
                visit(child)

    for name, component in schemas.items():
        if name.endswith("Request"):
            visit(component)
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    visit(parameter.get("schema"))
    return result


LOOKUP_PARAMETER = re.compile(r"\{(key|slug|code)\}/$")


def leave_lookups_out_of_update_bodies(result, generator, request, public):
    """An update names its resource in the path; the key, slug or code in its body could only
    repeat it (a different one is refused: it cannot change), so PUT and PATCH bodies are
    described without it. A body read from GET, which has it, is still accepted as sent."""
    schemas = result.get("components", {}).get("schemas", {})
    for path, operations in result.get("paths", {}).items():
        lookup = LOOKUP_PARAMETER.search(path)
        if lookup is None:
            continue
        for method in ("put", "patch"):
            operation = operations.get(method)
            if operation is None:
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                name = media["schema"].get("$ref", "").rsplit("/", 1)[-1]
                component = schemas.get(name)
                if not component or lookup[1] not in component.get("properties", {}):
                    continue
                update_name = (
                    name if name.startswith("Patched") else name.replace("Request", "UpdateRequest")
                )
                update = {
                    **component,
                    "properties": {
                        field: schema
                        for field, schema in component["properties"].items()
                        if field != lookup[1]
                    },
                }
                if "required" in component:
                    update["required"] = [f for f in component["required"] if f != lookup[1]]
                schemas[update_name] = update
                media["schema"] = {"$ref": f"#/components/schemas/{update_name}"}
    return result


RESOURCE_PATH = re.compile(r"^(/api/v1/[a-z]+/)\{(key|slug|code)\}/$")


def link_operations(result, generator, request, public):
    """OpenAPI links, so clients and tools can follow from an answer to the operations it
    names: from a created resource, and from the first item of a list, to the resource's own
    operations and sub-resources; from a measure's history to restoring a version."""
    paths = result.get("paths", {})
    for path in paths:
        match = RESOURCE_PATH.match(path)
        if match is None:
            continue
        collection, lookup = match[1], match[2]
        targets = {
            f"{method}{sub.replace('/', '_').rstrip('_')}": operation["operationId"]
            for sub_path, sub_operations in paths.items()
            if sub_path.startswith(path) and "/history/" not in sub_path
            for method, operation in sub_operations.items()
            for sub in [sub_path.removeprefix(path)]
        }
        sources = {
            ("post", "201"): f"$response.body#/{lookup}",
            ("get", "200"): f"$response.body#/results/0/{lookup}",
        }
        for (method, status), expression in sources.items():
            response = paths.get(collection, {}).get(method, {}).get("responses", {}).get(status)
            if response is None:
                continue
            response["links"] = {
                name: {"operationId": target, "parameters": {lookup: expression}}
                for name, target in targets.items()
            }
    history = paths.get("/api/v1/history/measures/{key}/", {}).get("get")
    restore = paths.get("/api/v1/history/measures/{key}/{version}/restore/", {}).get("post")
    measures = paths.get("/api/v1/measures/", {})
    if history and restore:
        for method, status, expression in (
            ("post", "201", "$response.body#/key"),
            ("get", "200", "$response.body#/results/0/key"),
        ):
            response = measures.get(method, {}).get("responses", {}).get(status)
            if response is not None:
                response.setdefault("links", {})["history"] = {
                    "operationId": history["operationId"],
                    "parameters": {"key": expression},
                }
        history["responses"]["200"]["links"] = {
            "restore": {
                "operationId": restore["operationId"],
                "parameters": {
                    "key": "$request.path.key",
                    "version": "$response.body#/results/0/version",
                },
            }
        }
    return result


def refuse_empty_query_values(result, generator, request, public):
    """An empty query parameter is refused (``api/parameters.py``): a text parameter has at
    least one character, a list at least one item."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] != "query":
                    continue
                if schema.get("type") == "string":
                    schema.setdefault("minLength", 1)
                elif schema.get("type") == "array":
                    schema.setdefault("minItems", 1)
                    if schema.get("items", {}).get("type") == "string":
                        schema["items"].setdefault("minLength", 1)
    return result


def forbid_unknown_body_fields(result, generator, request, public):
    """Request bodies refuse fields their resource does not have (``StrictFieldsMixin``): say
    so with ``additionalProperties: false`` on every object schema a request body uses,
    nested ones included."""
    schemas = result.get("components", {}).get("schemas", {})
    pending = [
        media["schema"]
        for operations in result.get("paths", {}).values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    seen: set[str] = set()
    while pending:
        schema = pending.pop()
        if not isinstance(schema, dict):
            continue
        if ref := schema.get("$ref"):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                pending.append(schemas[name])
            continue
        if schema.get("type") == "object" and "properties" in schema:
            schema["additionalProperties"] = False
        pending.extend(schema.get("properties", {}).values())
        pending.append(schema.get("items"))
        for keyword in ("allOf", "anyOf", "oneOf"):
            pending.extend(schema.get(keyword, []))
    return result
