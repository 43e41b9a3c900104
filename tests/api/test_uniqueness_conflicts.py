"""A value of a unique field that another resource already has is a conflict with the current
state (409, RFC 9110 section 15.5.10), naming the field and the existing resource's URL; the
body is otherwise fine, and nothing is written."""

import pytest

from tests.api.test_measure_writes import database_state, new_measure
from timeline.models import Authority, Jurisdiction, Material, Sector

BASE = "http://testserver/api/v1/"
ELEMENT = {"category": "critical_mineral"}

CONFLICTS = [
    # (label, collection, body, field, URL of the resource that has the value)
    ("measure key", "measures", new_measure(key="cn-mofcom-2025-62"), "key",
     "measures/cn-mofcom-2025-62/"),
    ("material slug", "materials", {"slug": "gallium", "name": "Gallium II", **ELEMENT}, "slug",
     "materials/gallium/"),
    ("material name", "materials", {"slug": "gallium-ii", "name": "Gallium", **ELEMENT}, "name",
     "materials/gallium/"),
    ("material symbol", "materials", {"slug": "ga-ii", "name": "Ga II", "symbol": "Ga", **ELEMENT},
     "symbol", "materials/gallium/"),
    ("jurisdiction code", "jurisdictions", {"code": "CN", "name": "China again"}, "code",
     "jurisdictions/CN/"),
    ("authority slug", "authorities",
     {"slug": "mofcom", "name": "Another", "abbreviation": "AN", "jurisdiction": "US"}, "slug",
     "authorities/mofcom/"),
    ("sector slug", "sectors", {"slug": "defence", "name": "Defence II"}, "slug",
     "sectors/defence/"),
    ("sector name", "sectors", {"slug": "defence-ii", "name": "defence"}, "name",
     "sectors/defence/"),
]  # fmt: skip


def everything() -> tuple:
    return (
        database_state(),
        *(list(model.objects.order_by("pk").values()) for model in
          (Material, Jurisdiction, Authority, Sector)),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("collection", "body", "field", "existing"),
    [case[1:] for case in CONFLICTS],
    ids=[case[0] for case in CONFLICTS],
)
def test_creating_a_taken_unique_value_is_409_naming_the_field_and_the_existing_resource(
    editor_client, demo_data, collection, body, field, existing
):
    before = everything()
    response = editor_client.post(f"/api/v1/{collection}/", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["type"] == "client_error"
    (error,) = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("unique", field)
    assert error["detail"].endswith(BASE + existing)
    assert editor_client.get(BASE + existing).status_code == 200
    assert everything() == before


def test_a_taken_value_among_other_errors_is_a_400_listing_them_all(editor_client, demo_data):
    body = new_measure(key="cn-mofcom-2025-62", announced_on="2025-02-30")
    response = editor_client.post("/api/v1/measures/", body, format="json")
    assert response.status_code == 400
    assert {(e["attr"], e["code"]) for e in response.json()["errors"]} == {
        ("key", "unique"),
        ("announced_on", "invalid"),
    }


def test_renaming_to_a_taken_name_is_409(editor_client, demo_data):
    response = editor_client.patch(
        "/api/v1/materials/gallium/", {"name": "Germanium"}, format="json"
    )
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["attr"] == "name"
    assert error["detail"].endswith(BASE + "materials/germanium/")
    assert editor_client.get("/api/v1/materials/gallium/").json()["name"] == "Gallium"


def test_a_resource_keeps_its_own_unique_values_on_update(editor_client, demo_data):
    body = editor_client.get("/api/v1/materials/gallium/").json()
    assert editor_client.put("/api/v1/materials/gallium/", body, format="json").status_code == 200


def test_changing_a_key_to_a_taken_one_is_the_400_saying_keys_cannot_change(
    editor_client, demo_data
):
    response = editor_client.patch(
        "/api/v1/measures/cn-mofcom-2025-62/", {"key": "cn-mofcom-gac-2025-18"}, format="json"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["attr"] == "key"
    assert "cannot be changed" in error["detail"]
