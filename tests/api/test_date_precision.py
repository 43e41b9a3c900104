"""Dates known only to the month or the year, as clients write and read them."""

import pytest

from tests.api.conftest import error_attrs

pytestmark = pytest.mark.django_db

URL = "/api/v1/measures/"


@pytest.fixture
def march_measure(editor_client, jurisdiction):
    body = {
        "key": "cn-march-2025",
        "title": "Controls in force from March 2025",
        "jurisdiction": jurisdiction.code,
        "measure_type": "export_licence_requirement",
        "announced_on": "2025",
        "effective_on": "2025-03",
        "events": [
            {"date": "2025-11", "type": "suspended"},
            {"date": "2026-02-01", "type": "reinstated"},
        ],
    }
    response = editor_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_measure_written_with_a_month_and_a_year_reads_back_at_that_precision(march_measure):
    assert march_measure["announced_on"] == "2025"
    assert march_measure["announced_on_precision"] == "year"
    assert march_measure["effective_on"] == "2025-03"
    assert march_measure["effective_on_precision"] == "month"
    assert march_measure["ends_on"] is None
    assert [(e["date"], e["date_precision"]) for e in march_measure["events"]] == [
        ("2025-11", "month"),
        ("2026-02-01", "day"),
    ]


def test_the_list_and_the_detail_show_the_same_precision(client, march_measure):
    listed = client.get(URL, {"jurisdiction": "CN"}).json()["results"]
    assert [m for m in listed if m["key"] == "cn-march-2025"] == [
        client.get(march_measure["url"]).json()
    ]


@pytest.mark.parametrize(
    ("as_of", "status", "certain"),
    [
        ("2025-02-28", "upcoming", False),  # inside the year it was announced
        ("2025-03-15", "in_force", False),
        ("2025-04-01", "in_force", False),  # still 2025, the year of the announcement
        ("2025-11-20", "suspended", False),
        ("2026-01-15", "suspended", True),
        ("2026-02-01", "in_force", True),
    ],
)
def test_the_answer_says_when_the_day_lies_inside_an_uncertain_period(
    client, march_measure, as_of, status, certain
):
    response = client.get(URL, {"as_of": as_of, "jurisdiction": "CN"})
    (measure,) = [m for m in response.json()["results"] if m["key"] == "cn-march-2025"]
    assert (measure["status"], measure["status_certain"]) == (status, certain)


def test_in_force_on_a_day_inside_the_month_counts_it_as_in_force(client, march_measure):
    keys = [m["key"] for m in client.get(URL, {"in_force_on": "2025-03-01"}).json()["results"]]
    assert "cn-march-2025" in keys


def test_the_timeline_shows_derived_entries_at_the_dates_precision(client, march_measure):
    timeline = client.get(march_measure["url"] + "timeline/").json()
    entries = timeline["results"] if isinstance(timeline, dict) else timeline
    shown = {(e["type"], e["date"], e["date_precision"]) for e in entries}
    assert ("announced", "2025", "year") in shown
    assert ("effective", "2025-03", "month") in shown


def test_a_get_body_sent_back_keeps_the_precision(editor_client, march_measure):
    response = editor_client.put(march_measure["url"], march_measure, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["effective_on"] == "2025-03"
    assert response.json()["updated_at"] == march_measure["updated_at"]  # nothing changed


def test_a_full_date_replaces_a_month(editor_client, march_measure):
    response = editor_client.patch(
        march_measure["url"], {"effective_on": "2025-03-14"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["effective_on"], response.json()["effective_on_precision"]) == (
        "2025-03-14",
        "day",
    )


@pytest.mark.parametrize("value", ["2025-13", "2025-02-30", "2025-3", "March 2025", "1899", 2025])
@pytest.mark.parametrize("field", ["effective_on", "events.0.date"])
def test_a_malformed_date_is_a_400_naming_the_field(editor_client, march_measure, field, value):
    body = (
        {"events": [{"date": value, "type": "note"}]}
        if field == "events.0.date"
        else {field: value}
    )
    response = editor_client.patch(march_measure["url"], body, format="json")
    assert response.status_code == 400, response.content
    assert field in error_attrs(response)


def test_history_shows_and_restores_the_precision(editor_client, march_measure):
    editor_client.patch(march_measure["url"], {"effective_on": "2025-03-14"}, format="json")
    history_url = f"/api/v1/history/measures/{march_measure['key']}/"
    versions = editor_client.get(history_url).json()["results"]
    first = versions[-1]
    assert first["measure"]["effective_on"] == "2025-03"
    assert first["measure"]["events"][0]["date"] == "2025-11"
    assert versions[0]["changes"]["effective_on"] == {"old": "2025-03", "new": "2025-03-14"}
    restored = editor_client.post(f"{history_url}{first['version']}/restore/")
    assert restored.status_code == 200, restored.content
    assert restored.json()["effective_on"] == "2025-03"
    assert restored.json()["events"][0]["date_precision"] == "month"


def test_rows_show_the_status_on_the_day_asked_about(client, editor_client, jurisdiction):
    body = {
        "key": "suspended-this-year",
        "title": "In force from 2024, suspended since January 2026",
        "jurisdiction": jurisdiction.code,
        "measure_type": "export_licence_requirement",
        "effective_on": "2024-01-01",
        "events": [{"date": "2026-01-01", "type": "suspended"}],
    }
    assert editor_client.post(URL, body, format="json").status_code == 201

    def row(**params):
        listed = client.get(URL, params).json()["results"]
        return next((m for m in listed if m["key"] == body["key"]), None)

    assert row(in_force_on="2025-06-01")["status"] == "in_force"
    assert row(as_of="2025-06-01", status="in_force")["status"] == "in_force"
    assert row(as_of="2026-06-01")["status"] == "suspended"
    assert row(in_force_on="2026-06-01") is None
    assert row(as_of="2025-06-01", in_force_on="2026-06-01") is None
    assert row(as_of="2026-06-01", in_force_on="2025-06-01")["status"] == "suspended"
