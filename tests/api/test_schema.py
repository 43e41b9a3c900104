import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from api import schema_view

# drf-standardized-errors' generated error envelopes, one per field and operation.
ERROR_COMPONENT = re.compile(
    r"(ErrorComponent|ValidationError|ErrorResponse\d+|Error\d+|ParseError\w*)$"
)
COMMITTED = Path(__file__).resolve().parents[2] / "schema.yml"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_schema_generation_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_committed_schema_is_current(tmp_path):
    """The contract is reviewed as a diff: run `make schema` and commit schema.yml (the API
    version as /api/schema/ serves it)."""
    fresh = tmp_path / "schema.yml"
    call_command("spectacular", "--api-version", "v1", "--file", str(fresh))
    assert yaml.safe_load(fresh.read_text()) == yaml.safe_load(COMMITTED.read_text())


def test_every_parameter_and_property_is_described(schema):
    undocumented = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    undocumented.append(f"{method.upper()} {path} ?{parameter['name']}")
    for name, component in schema["components"]["schemas"].items():
        if ERROR_COMPONENT.search(name):
            continue
        for prop, spec in component.get("properties", {}).items():
            if not (spec.get("description") or "$ref" in spec or "allOf" in spec):
                undocumented.append(f"{name}.{prop}")
    assert undocumented == []


def test_enums_are_listed(schema):
    enums = schema["components"]["schemas"]
    assert enums["MeasureStatusEnum"]["enum"] == ["upcoming", "in_force", "suspended", "ended"]
    assert "export_licence_requirement" in enums["MeasureTypeEnum"]["enum"]
    assert "reinstated" in enums["EventTypeEnum"]["enum"]


def test_measure_has_a_realistic_example(schema):
    operation = schema["paths"]["/api/v1/measures/{key}/"]["get"]
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert next(iter(examples.values()))["value"]["key"] == "cn-mofcom-gac-2025-18"


@pytest.mark.parametrize("url", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_documentation_pages_render(client, db, url):
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/measures/",
        "/api/v1/measures/{key}/",
        "/api/v1/measures/{key}/timeline/",
        "/api/v1/materials/",
        "/api/v1/materials/{slug}/",
        "/api/v1/materials/{slug}/timeline/",
        "/api/v1/events/",
        "/api/v1/jurisdictions/",
        "/api/v1/authorities/",
        "/api/v1/sectors/",
    ],
)
def test_reads_document_if_none_match_and_304(schema, path):
    operation = schema["paths"][path]["get"]
    assert "If-None-Match" in {parameter["name"] for parameter in operation["parameters"]}
    assert "ETag" in operation["responses"]["304"]["headers"]
    assert "ETag" in operation["responses"]["200"]["headers"]


def test_every_operation_documents_the_406_for_a_format_not_offered(schema):
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "not offered" not in operation["responses"].get("406", {}).get("description", "")
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    "path", ["/api/v1/measures/", "/api/v1/materials/", "/api/v1/jurisdictions/",
             "/api/v1/authorities/", "/api/v1/sectors/"],
)  # fmt: skip
def test_creates_document_the_409_for_a_taken_unique_value(schema, path):
    response = schema["paths"][path]["post"]["responses"]["409"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ConflictErrorResponse"
    )


def test_request_bodies_refuse_unknown_fields_in_the_schema_too(schema):
    components = schema["components"]["schemas"]
    requests = {name for name in components if name.endswith("Request")}
    assert {"MeasureRequest", "PatchedMeasureRequest", "MeasureMaterialRequest"} <= requests
    assert {name for name in requests if components[name].get("additionalProperties") is False} == (
        requests
    )
    assert "additionalProperties" not in components["Measure"]  # responses may grow


@pytest.fixture
def generations(monkeypatch):
    """How many times the schema was generated (each call still generates it), from no kept
    rendering."""
    monkeypatch.setattr(schema_view, "_RENDERED", {})
    made = []
    generate = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):
        made.append(1)
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    return made


def test_the_served_schema_is_rendered_once_and_then_answered_as_it_was(client, db, generations):
    first = client.get("/api/schema/")
    again = client.get("/api/schema/")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again.headers == first.headers
    assert first.headers["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert first.headers["Content-Disposition"] == 'inline; filename="RegWatch API (v1).yaml"'
    assert yaml.safe_load(first.content) == yaml.safe_load(COMMITTED.read_text())
    assert len(generations) == 1


def test_each_format_is_kept_and_other_forms_are_rendered_afresh(client, db, generations):
    yaml_body = yaml.safe_load(client.get("/api/schema/").content)
    as_json = client.get("/api/schema/?format=json")
    two = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json; indent=2")
    assert as_json.headers["Content-Type"] == two.headers["Content-Type"]
    assert as_json.content.startswith(b'{\n    "openapi"')  # drf-spectacular's default, 4
    assert two.content.startswith(b'{\n  "openapi"')
    assert json.loads(as_json.content) == json.loads(two.content) == yaml_body
    assert len(generations) == 3
    for _ in range(2):
        assert client.get("/api/schema/?format=json").content == as_json.content
        weighed = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json;q=0.5")
        assert weighed.content == as_json.content
    assert len(generations) == 3  # the plain forms were kept
    for _ in range(2):
        client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json; indent=2")
        assert client.get("/api/schema/?lang=fr").status_code == 200
        assert client.get("/api/schema/?lang=zz-unknown").status_code == 200
    assert len(generations) == 9  # the others were not
    assert len(schema_view._RENDERED) == 2


@pytest.mark.parametrize(
    "method, path, headers, status",
    [
        ("get", "/api/schema/?format=xml", {}, 406),
        ("get", "/api/schema/", {"HTTP_ACCEPT": "text/html"}, 406),
        ("post", "/api/schema/", {}, 405),
    ],
)
def test_errors_are_the_apis_json(client, db, method, path, headers, status):
    response = getattr(client, method)(path, **headers)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["type"] == "client_error"


def test_a_change_of_settings_is_in_the_next_schema(client, db, settings):
    def read_security() -> list:
        schema = yaml.safe_load(client.get("/api/schema/").content)
        return schema["paths"]["/api/v1/sectors/"]["get"]["security"]

    assert {} in read_security()
    settings.REGWATCH_API_REQUIRE_AUTH = True
    assert {} not in read_security()
