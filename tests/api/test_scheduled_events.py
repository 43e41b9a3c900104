"""Scheduled events through the API: written in measure bodies, shown in both event
representations, kept by history and restores, and read by ``status_confirmed``."""

import pytest
from django.utils import timezone

from tests.api.conftest import error_attrs
from tests.api.test_measure_writes import URL, new_measure


def scheduled_body(**overrides) -> dict:
    """In force since 2026-02-01, suspended from 2026-03-01 until an announced end (a day
    already passed) that no source confirms."""
    yesterday = (timezone.localdate() - timezone.timedelta(days=1)).isoformat()
    return new_measure(
        events=[
            {"date": "2026-03-01", "type": "suspended", "note": "", "source_url": None},
            {
                "date": yesterday,
                "type": "reinstated",
                "note": "Announced end.",
                "source_url": None,
                "scheduled": True,
            },
        ],
        **overrides,
    )


def test_an_event_is_a_fact_unless_the_body_says_it_is_scheduled(editor_client, demo_data):
    response = editor_client.post(URL, new_measure(), format="json")
    assert response.status_code == 201, response.content
    assert [e["scheduled"] for e in response.json()["events"]] == [False]


def test_status_is_unconfirmed_once_a_scheduled_reinstatement_has_passed(
    editor_client, client, demo_data
):
    created = editor_client.post(URL, scheduled_body(), format="json")
    assert created.status_code == 201, created.content
    for body in (created.json(), client.get(URL + "cn-test-2026-1/").json()):
        assert (body["status"], body["status_confirmed"]) == ("in_force", False)
        assert [e["scheduled"] for e in body["events"]] == [False, True]
    listed = client.get(URL, {"q": "cn-test-2026-1"}).json()["results"]
    assert [(m["key"], m["status_confirmed"]) for m in listed] == [("cn-test-2026-1", False)]


def test_timeline_entries_show_the_scheduled_flag(editor_client, client, demo_data):
    editor_client.post(URL, scheduled_body(), format="json")
    timeline = client.get(URL + "cn-test-2026-1/timeline/").json()["results"]
    assert [(e["type"], e["derived"], e["scheduled"]) for e in timeline] == [
        ("announced", True, False),
        ("effective", True, False),
        ("suspended", False, False),
        ("reinstated", False, True),
    ]


def test_confirming_a_scheduled_event_confirms_the_status(editor_client, demo_data):
    body = editor_client.post(URL, scheduled_body(), format="json").json()
    for event in body["events"]:
        event["scheduled"] = False
    updated = editor_client.patch(
        URL + "cn-test-2026-1/", {"events": body["events"]}, format="json"
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["status_confirmed"] is True


def test_a_restore_brings_back_the_scheduled_flag(editor_client, demo_data):
    before = editor_client.post(URL, scheduled_body(), format="json").json()
    editor_client.patch(URL + "cn-test-2026-1/", {"events": []}, format="json")
    versions = editor_client.get("/api/v1/history/measures/cn-test-2026-1/").json()["results"]
    first = versions[-1]
    assert [e["scheduled"] for e in first["measure"]["events"]] == [False, True]
    restored = editor_client.post(
        f"/api/v1/history/measures/cn-test-2026-1/{first['version']}/restore/"
    )
    assert restored.status_code == 200, restored.content
    assert restored.json()["events"] == before["events"]
    assert restored.json()["status_confirmed"] is False


@pytest.mark.parametrize("value", ["true", 1, None, []])
def test_scheduled_takes_true_or_false_only(editor_client, demo_data, value):
    body = new_measure()
    body["events"][0]["scheduled"] = value
    response = editor_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert error_attrs(response) == {"events.0.scheduled"}
