"""Deleting a measure other measures relate to: refused unless forced; forced, the referring
measures record the loss and a restore gives their relations back."""

import pytest
from django.db.models import RestrictedError
from django.urls import reverse
from django.utils import timezone

from timeline.models import Measure

URL = "/api/v1/measures/"
ART2 = "cn-mofcom-2024-46-art2"
REFERRERS = ["cn-mofcom-2024-46-art1", "cn-mofcom-2025-72"]  # implements, suspends art2


def history(client, key):
    response = client.get(f"{URL}{key}/history/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def updated_since(client, moment) -> set[str]:
    response = client.get(URL, {"updated_since": moment.isoformat(), "page_size": 500})
    assert response.status_code == 200, response.content
    return {item["key"] for item in response.json()["results"]}


def related(client, key) -> list[dict]:
    return client.get(f"{URL}{key}/").json()["related"]


def delete_and_restore(editor_client, key=ART2):
    """Force-delete ``key``, then restore its deleted version; returns the restore response."""
    assert editor_client.delete(f"{URL}{key}/?force=true").status_code == 204
    deleted = history(editor_client, key)[0]
    assert deleted["action"] == "deleted"
    return editor_client.post(f"{URL}{key}/history/{deleted['version']}/restore/")


def test_deleting_a_measure_others_relate_to_is_409_listing_them(editor_client, demo_data):
    before = {key: editor_client.get(f"{URL}{key}/").json() for key in [ART2, *REFERRERS]}
    response = editor_client.delete(f"{URL}{ART2}/")
    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert error["code"] == "conflict"
    assert all(key in error["detail"] for key in REFERRERS)
    assert "force=true" in error["detail"]
    assert {key: editor_client.get(f"{URL}{key}/").json() for key in before} == before


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 409),
        ("?force=false", 409),
        ("?force=true", 204),
    ],
)
def test_force_decides_whether_a_referred_measure_is_deleted(
    editor_client, demo_data, query, status
):
    assert editor_client.delete(f"{URL}{ART2}/{query}").status_code == status
    assert Measure.objects.filter(key=ART2).exists() == (status != 204)


@pytest.mark.parametrize(
    "query",
    ["force=yes", "force=1", "force=True", "force=", "force=true&force=true", "force=true%00"],
)
def test_force_other_than_true_or_false_is_400_naming_it(editor_client, demo_data, query):
    response = editor_client.delete(f"{URL}{ART2}/?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert [error["attr"] for error in response.json()["errors"]] == ["force"]
    assert Measure.objects.filter(key=ART2).exists()


def test_force_is_harmless_on_a_measure_nothing_relates_to(editor_client, demo_data):
    response = editor_client.delete(f"{URL}cn-mofcom-gac-2023-23/?force=true")
    assert response.status_code == 204


def test_forced_delete_records_the_lost_relations_on_the_referring_measures(
    client, editor_client, demo_data
):
    moment = timezone.now()
    assert editor_client.delete(f"{URL}{ART2}/?force=true").status_code == 204
    assert updated_since(client, moment) == set(REFERRERS)
    for key in REFERRERS:
        assert ART2 not in {entry["measure"] for entry in related(client, key)}
        newest = history(editor_client, key)[0]
        assert newest["action"] == "changed"
        assert newest["reason"] == f"relation to {ART2} removed: {ART2} deleted"
        assert newest["user"] == "editor"
        assert set(newest["changes"]) == {"related"}
    deleted = history(editor_client, ART2)[0]
    assert deleted["action"] == "deleted"
    assert deleted["reason"] == f"deleted with the relations of {', '.join(REFERRERS)} to it"


def test_restoring_a_force_deleted_measure_gives_the_referring_measures_their_relations_back(
    client, editor_client, demo_data
):
    before = {key: related(client, key) for key in REFERRERS}
    original = client.get(f"{URL}{ART2}/").json()
    assert editor_client.delete(f"{URL}{ART2}/?force=true").status_code == 204
    moment = timezone.now()
    deleted = history(editor_client, ART2)[0]
    restored = editor_client.post(f"{URL}{ART2}/history/{deleted['version']}/restore/")
    assert restored.status_code == 201, restored.content
    assert {key: related(client, key) for key in REFERRERS} == before
    assert updated_since(client, moment) == {ART2, *REFERRERS}
    for key in REFERRERS:
        newest = history(editor_client, key)[0]
        assert newest["reason"] == f"relation to {ART2} restored: {ART2} restored"
        assert set(newest["changes"]) == {"related"}
    assert restored.json()["created_at"] == original["created_at"]
    assert restored.json()["updated_at"] > original["updated_at"]


def test_restoring_an_older_version_of_a_deleted_measure_also_gives_relations_back(
    client, editor_client, demo_data
):
    before = {key: related(client, key) for key in REFERRERS}
    assert editor_client.delete(f"{URL}{ART2}/?force=true").status_code == 204
    created = history(editor_client, ART2)[-1]
    assert created["action"] == "created"
    response = editor_client.post(f"{URL}{ART2}/history/{created['version']}/restore/")
    assert response.status_code == 201
    assert {key: related(client, key) for key in REFERRERS} == before


def test_a_referring_measure_deleted_meanwhile_is_skipped_by_the_restore(
    client, editor_client, demo_data
):
    kept, gone = REFERRERS
    before = related(client, kept)
    assert editor_client.delete(f"{URL}{ART2}/?force=true").status_code == 204
    assert editor_client.delete(f"{URL}{gone}/").status_code == 204
    deleted = history(editor_client, ART2)[0]
    response = editor_client.post(f"{URL}{ART2}/history/{deleted['version']}/restore/")
    assert response.status_code == 201, response.content
    assert related(client, kept) == before


def test_restoring_a_deleted_measure_keeps_its_created_at(editor_client, demo_data):
    key = "cn-mofcom-gac-2023-23"
    created_at = editor_client.get(f"{URL}{key}/").json()["created_at"]
    response = delete_and_restore(editor_client, key)
    assert response.status_code == 201
    assert response.json()["created_at"] == created_at
    assert editor_client.get(f"{URL}{key}/").json()["created_at"] == created_at


def test_a_measure_others_relate_to_cannot_be_deleted_outside_the_services(demo_data):
    with pytest.raises(RestrictedError):
        Measure.objects.filter(key=ART2).delete()


def test_a_measure_can_be_deleted_together_with_every_measure_relating_to_it(demo_data):
    Measure.objects.filter(key__in=[ART2, *REFERRERS]).delete()
    assert not Measure.objects.filter(key__in=[ART2, *REFERRERS]).exists()


def test_admin_refuses_to_delete_a_measure_others_relate_to_and_names_them(admin_client, demo_data):
    measure = Measure.objects.get(key=ART2)
    url = reverse("admin:timeline_measure_delete", args=[measure.pk])
    page = admin_client.get(url).content.decode()
    assert "Cannot delete measure" in page
    assert all(key in page for key in REFERRERS)
    admin_client.post(url, {"post": "yes"})
    assert Measure.objects.filter(key=ART2).exists()


def test_admin_bulk_delete_refuses_the_same_way(admin_client, demo_data):
    measure = Measure.objects.get(key=ART2)
    response = admin_client.post(
        reverse("admin:timeline_measure_changelist"),
        {"action": "delete_selected", "_selected_action": [measure.pk], "post": "yes"},
    )
    assert "Cannot delete measure" in response.content.decode()
    assert Measure.objects.filter(key=ART2).exists()


def test_admin_delete_of_a_measure_nothing_relates_to_is_recorded(admin_client, demo_data):
    measure = Measure.objects.get(key="cn-mofcom-gac-2023-23")
    response = admin_client.post(
        reverse("admin:timeline_measure_delete", args=[measure.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Measure.objects.filter(key="cn-mofcom-gac-2023-23").exists()
    assert measure.history.first().history_type == "-"


def test_delete_documents_force_as_a_boolean_query_parameter():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/measures/{key}/"]["delete"]
    (force,) = [p for p in operation["parameters"] if p["name"] == "force"]
    assert (force["in"], force["schema"]["type"]) == ("query", "boolean")
    assert {"400", "409"} <= set(operation["responses"])
