import pytest
from django.urls import reverse

from timeline.models import Material, Measure

URL = "/api/v1/measures/"


def history(client, key):
    response = client.get(f"{URL}{key}/history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def without_timestamps(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in {"created_at", "updated_at"}}


def test_loaded_measure_has_a_created_version_from_the_loader(reader_client, demo_data):
    versions = history(reader_client, "cn-mofcom-2025-62")
    assert [v["action"] for v in versions] == ["created"]
    assert versions[0]["user"] is None
    assert versions[0]["reason"] == "load_timeline"
    assert versions[0]["measure"]["materials"] == [
        {
            "material": "rare-earth-processing-technology",
            "scope": "control codes 1E902.a and 1E902.b, carriers included",
        }
    ]


def test_api_change_is_recorded_with_user_and_field_level_changes(
    reader_client, editor_client, demo_data
):
    editor_client.patch(
        f"{URL}cn-mofcom-2025-62/",
        {"title": "Renamed", "materials": [{"material": "gallium", "scope": "all"}]},
        format="json",
    )
    newest, original = history(reader_client, "cn-mofcom-2025-62")
    assert newest["action"] == "changed"
    assert newest["user"] == "editor"
    assert set(newest["changes"]) == {"title", "materials"}
    assert newest["changes"]["title"] == {
        "old": "Export controls on rare-earth technologies and unauthorised cooperation abroad",
        "new": "Renamed",
    }
    assert newest["changes"]["materials"]["new"] == [{"material": "gallium", "scope": "all"}]
    assert original["action"] == "created"


@pytest.mark.parametrize(
    ("reader", "user"),
    [("client", None), ("reader_client", "editor"), ("editor_client", "editor")],
)
def test_who_made_a_change_is_shown_to_authenticated_readers_only(
    request, editor_client, demo_data, reader, user
):
    editor_client.patch(f"{URL}cn-mofcom-2025-62/", {"title": "Renamed"}, format="json")
    newest = history(request.getfixturevalue(reader), "cn-mofcom-2025-62")[0]
    assert newest["user"] == user
    assert newest["reason"] is None and newest["changes"]["title"]["new"] == "Renamed"


def test_unchanged_put_records_no_version(editor_client, demo_data):
    body = editor_client.get(f"{URL}cn-mofcom-2025-62/").json()
    editor_client.put(f"{URL}cn-mofcom-2025-62/", body, format="json")
    assert len(history(editor_client, "cn-mofcom-2025-62")) == 1


def test_deleted_measure_is_found_in_history_and_restored_whole(client, editor_client, demo_data):
    before = editor_client.get(f"{URL}cn-mofcom-gac-2025-70/").json()
    assert editor_client.delete(f"{URL}cn-mofcom-gac-2025-70/").status_code == 204
    deleted = history(client, "cn-mofcom-gac-2025-70")[0]
    assert deleted["action"] == "deleted"
    assert len(deleted["measure"]["related"]) == 6  # nested parts kept in the deleted version

    restored = editor_client.post(
        f"{URL}cn-mofcom-gac-2025-70/history/{deleted['version']}/restore/"
    )
    assert restored.status_code == 201, restored.content
    assert without_timestamps(restored.json()) == without_timestamps(before)
    assert (
        history(client, "cn-mofcom-gac-2025-70")[0]["reason"]
        == f"restored version {deleted['version']}"
    )


def test_restoring_an_older_version_undoes_a_change(editor_client, demo_data):
    original = editor_client.get(f"{URL}cn-mofcom-2025-62/").json()
    editor_client.patch(f"{URL}cn-mofcom-2025-62/", {"title": "Wrong", "events": []}, format="json")
    first = history(editor_client, "cn-mofcom-2025-62")[-1]
    response = editor_client.post(f"{URL}cn-mofcom-2025-62/history/{first['version']}/restore/")
    assert response.status_code == 200
    assert without_timestamps(response.json()) == without_timestamps(original)


def test_restore_needs_permission(reader_client, client, demo_data):
    version = history(client, "cn-mofcom-2025-62")[0]["version"]
    url = f"{URL}cn-mofcom-2025-62/history/{version}/restore/"
    assert client.post(url).status_code == 401
    assert reader_client.post(url).status_code == 403


def test_history_of_unknown_key_is_404(client, demo_data):
    assert client.get(f"{URL}never-existed/history/").status_code == 404


def test_admin_edit_is_recorded_with_its_inlines(admin_client, reader_client, demo_data):
    from tests.timeline.test_admin import measure_form

    response = admin_client.post(reverse("admin:timeline_measure_add"), measure_form())
    assert response.status_code == 302
    (created,) = history(reader_client, "cn-test-2026-1")
    assert created["user"] == "admin"
    assert created["measure"]["materials"] == [{"material": "gallium", "scope": "metal"}]
    assert [e["type"] for e in created["measure"]["events"]] == ["suspended"]


def test_admin_shows_history(admin_client, demo_data):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    response = admin_client.get(reverse("admin:timeline_measure_history", args=[measure.pk]))
    assert response.status_code == 200
    assert "load_timeline" in response.content.decode()


@pytest.mark.parametrize("model", [Material])
def test_material_group_changes_are_recorded(editor_client, demo_data, model):
    editor_client.patch("/api/v1/materials/gallium/", {"name": "Gallium metal"}, format="json")
    assert model.history.filter(slug="gallium").count() == 2


def test_the_history_has_its_own_address_and_the_first_one_still_answers(editor_client, demo_data):
    key = "cn-mofcom-2025-62"
    editor_client.patch(f"{URL}{key}/", {"notes": "Checked."}, format="json")
    current = editor_client.get(f"/api/v1/history/measures/{key}/")
    assert current.status_code == 200
    assert editor_client.get(f"{URL}{key}/history/").json() == current.json()
    version = current.json()["results"][-1]["version"]
    restored = editor_client.post(f"/api/v1/history/measures/{key}/{version}/restore/")
    assert restored.status_code == 200
    assert restored.json()["notes"] != "Checked."


def test_a_restore_sent_with_a_body_is_refused(editor_client, demo_data):
    key = "cn-mofcom-2025-62"
    version = editor_client.get(f"/api/v1/history/measures/{key}/").json()["results"][-1]["version"]
    response = editor_client.post(
        f"/api/v1/history/measures/{key}/{version}/restore/", {"bogus": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "bogus"
