import copy

import pytest

from tests.api.conftest import error_attrs
from timeline.models import Measure, MeasureEvent

URL = "/api/v1/measures/"


def new_measure(**overrides) -> dict:
    body = {
        "key": "cn-test-2026-1",
        "title": "Export controls on test items",
        "reference": "Test Announcement No. 1 of 2026",
        "jurisdiction": "CN",
        "authorities": ["mofcom", "gac"],
        "measure_type": "export_licence_requirement",
        "summary": "A measure written through the API.",
        "announced_on": "2026-01-05",
        "effective_on": "2026-02-01",
        "ends_on": None,
        "target_jurisdictions": ["US"],
        "materials": [{"material": "dysprosium", "scope": "oxides"}],
        "sectors": ["defence"],
        "events": [
            {"date": "2026-03-01", "type": "suspended", "note": "Paused.", "source_url": None}
        ],
        "related": [{"measure": "cn-mofcom-gac-2025-18", "relation": "expands"}],
        "sources": [
            {"url": "https://example.org/a", "title": "A", "publisher": "P", "published_on": None}
        ],
    }
    body.update(overrides)
    return body


def database_state():
    return (
        list(Measure.objects.order_by("key").values_list("key", "title", "updated_at")),
        list(MeasureEvent.objects.order_by("id").values_list("id", "date", "type")),
    )


def test_create_returns_201_with_the_full_representation(editor_client, demo_data):
    response = editor_client.post(URL, new_measure(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "suspended"
    assert body["authorities"] == ["gac", "mofcom"]
    assert body["materials"] == [
        {"material": "dysprosium", "name": "Dysprosium", "scope": "oxides"}
    ]
    assert body["related"] == [{"measure": "cn-mofcom-gac-2025-18", "relation": "expands"}]
    timeline = editor_client.get(URL + "cn-test-2026-1/timeline/").json()["results"]
    assert [(e["date"], e["type"], e["derived"]) for e in timeline] == [
        ("2026-01-05", "announced", True),
        ("2026-02-01", "effective", True),
        ("2026-03-01", "suspended", False),
    ]


def test_created_measure_is_found_by_material_group(editor_client, client, demo_data):
    editor_client.post(URL, new_measure(), format="json")
    found = client.get(URL, {"material": "rare-earth-elements", "page_size": 100}).json()["results"]
    assert "cn-test-2026-1" in [m["key"] for m in found]


def test_anonymous_write_is_401_and_writes_nothing(client, demo_data):
    before = database_state()
    assert client.post(URL, new_measure(), format="json").status_code == 401
    assert client.delete(URL + "cn-mofcom-2025-62/").status_code == 401
    assert (
        client.patch(URL + "cn-mofcom-2025-62/", {"title": "x"}, format="json").status_code == 401
    )
    assert database_state() == before


def test_write_without_model_permission_is_403_and_writes_nothing(reader_client, demo_data):
    before = database_state()
    assert reader_client.post(URL, new_measure(), format="json").status_code == 403
    assert (
        reader_client.put(URL + "cn-mofcom-2025-62/", new_measure(), format="json").status_code
        == 403
    )
    assert reader_client.delete(URL + "cn-mofcom-2025-62/").status_code == 403
    assert database_state() == before


def test_session_login_can_write_through_the_browsable_api(demo_data, admin_client):
    response = admin_client.post(URL, new_measure(), content_type="application/json")
    # Session writes need the CSRF token like any browser form; the test client skips the check.
    assert response.status_code == 201


@pytest.mark.parametrize(
    "key", ["cn-mofcom-2025-62", "cn-mofcom-gac-2025-70", "us-nhtsa-cafe-rollback-2025"]
)
def test_get_put_round_trip_changes_nothing(editor_client, demo_data, key):
    before = editor_client.get(URL + key + "/").json()
    response = editor_client.put(URL + key + "/", before, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == before
    assert editor_client.get(URL + key + "/").json() == before


def test_put_replaces_nested_lists_and_empties_absent_ones(editor_client, demo_data):
    body = editor_client.get(URL + "cn-mofcom-gac-2025-70/").json()
    body["materials"] = [{"material": "gallium", "scope": "all"}]
    body["events"] = []
    del body["related"]
    updated = editor_client.put(URL + "cn-mofcom-gac-2025-70/", body, format="json").json()
    assert updated["materials"] == [{"material": "gallium", "name": "Gallium", "scope": "all"}]
    assert updated["events"] == []
    assert updated["related"] == []
    assert updated["updated_at"] > body["updated_at"]


def test_patch_replaces_only_the_nested_lists_present(editor_client, demo_data):
    before = editor_client.get(URL + "cn-mofcom-2025-62/").json()
    patch = {"sectors": ["lasers"], "events": [{"date": "2025-10-09", "type": "announced"}]}
    after = editor_client.patch(URL + "cn-mofcom-2025-62/", patch, format="json").json()
    assert after["sectors"] == ["lasers"]
    assert after["events"] == [
        {
            "date": "2025-10-09",
            "date_precision": "day",
            "type": "announced",
            "note": "",
            "source_url": None,
            "scheduled": False,
        }
    ]
    assert after["status"] == "in_force"  # the suspension event went with the old list
    assert after["materials"] == before["materials"]
    assert after["related"] == before["related"]


def test_delete_removes_the_measure_and_its_timeline(editor_client, demo_data):
    assert editor_client.delete(URL + "cn-mofcom-gac-2023-23/").status_code == 204
    assert editor_client.get(URL + "cn-mofcom-gac-2023-23/").status_code == 404
    assert not MeasureEvent.objects.filter(measure__key="cn-mofcom-gac-2023-23").exists()


def test_key_cannot_be_changed_by_update(editor_client, demo_data):
    response = editor_client.patch(URL + "cn-mofcom-2025-62/", {"key": "renamed"}, format="json")
    assert response.status_code == 400
    assert error_attrs(response) == {"key"}


@pytest.mark.parametrize(
    ("change", "attr", "detail"),
    [
        ({"jurisdiction": "XX"}, "jurisdiction", "XX"),
        ({"authorities": ["mofcom", "nobody"]}, "authorities", "nobody"),
        ({"target_jurisdictions": ["ZZ"]}, "target_jurisdictions", "ZZ"),
        ({"sectors": ["basket-weaving"]}, "sectors", "basket-weaving"),
        ({"materials": [{"material": "unobtainium"}]}, "materials.0.material", "unobtainium"),
        (
            {"related": [{"measure": "no-such-key", "relation": "amends"}]},
            "related.0.measure",
            "no-such-key",
        ),
        ({"events": [{"date": "2026-02-30", "type": "note"}]}, "events.0.date", None),
        ({"events": [{"date": "2026-02-01", "type": "exploded"}]}, "events.0.type", "exploded"),
        ({"measure_type": "embargo"}, "measure_type", "embargo"),
        ({"ends_on": "2026-01-01"}, "ends_on", "must come after"),
        ({"effective_on": "tomorrow"}, "effective_on", None),
        ({"title": ""}, "title", None),
        ({"title": "x" * 301}, "title", None),
        ({"key": "has spaces"}, "key", None),
        ({"colour": "blue"}, "colour", "Unknown field: colour"),
        (
            {"materials": [{"material": "gallium"}, {"material": "gallium"}]},
            "materials.1.material",
            "twice",
        ),
    ],
)
def test_invalid_write_is_400_naming_the_field_and_writes_nothing(
    editor_client, demo_data, change, attr, detail
):
    before = database_state()
    response = editor_client.post(URL, new_measure(**change), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert attr in {e["attr"] for e in errors}, errors
    if detail:
        assert any(detail in e["detail"] for e in errors), errors
    assert database_state() == before


def test_malformed_json_is_400(editor_client, demo_data):
    response = editor_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_failed_nested_write_leaves_the_measure_unchanged(editor_client, demo_data):
    before = editor_client.get(URL + "cn-mofcom-2025-62/").json()
    body = copy.deepcopy(before)
    body["title"] = "Changed"
    body["related"] = [{"measure": "cn-mofcom-2025-62", "relation": "amends"}]  # itself
    response = editor_client.put(URL + "cn-mofcom-2025-62/", body, format="json")
    assert response.status_code == 400
    assert editor_client.get(URL + "cn-mofcom-2025-62/").json() == before


@pytest.mark.parametrize(
    ("url", "lookup"),
    [
        ("/api/v1/measures/cn-mofcom-2025-62/", "key"),
        ("/api/v1/materials/gallium/", "slug"),
        ("/api/v1/sectors/semiconductors/", "slug"),
        ("/api/v1/jurisdictions/CN/", "code"),
        ("/api/v1/authorities/mofcom/", "slug"),
    ],
)
def test_a_put_may_leave_out_the_key_its_address_names(editor_client, demo_data, url, lookup):
    body = {k: v for k, v in editor_client.get(url).json().items() if k != lookup}
    response = editor_client.put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()[lookup] == editor_client.get(url).json()[lookup]
