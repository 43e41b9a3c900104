"""?as_known_on: answers as the database stood at a past moment, rebuilt from the history."""

import datetime

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from timeline.models import Measure

from .conftest import error_attrs, keys, results

pytestmark = pytest.mark.usefixtures("demo_data")

TIMESTAMPS = ("created_at", "updated_at")


def new_measure(**overrides) -> dict:
    body = {
        "key": "cn-known-2026-1",
        "title": "Export controls on test items",
        "reference": "Test Announcement No. 1 of 2026",
        "jurisdiction": "CN",
        "authorities": ["mofcom", "gac"],
        "measure_type": "export_licence_requirement",
        "summary": "A measure written through the API.",
        "announced_on": "2025-01-05",
        "effective_on": "2025-02-01",
        "ends_on": None,
        "target_jurisdictions": ["US"],
        "materials": [
            {"material": "gallium", "scope": "metal"},
            {"material": "dysprosium", "scope": "oxides"},
        ],
        "sectors": ["defence", "semiconductors"],
        "events": [
            {"date": "2025-03-01", "type": "suspended", "note": "Paused.", "source_url": None}
        ],
        "related": [{"measure": "cn-mofcom-gac-2025-18", "relation": "expands"}],
        "sources": [
            {"url": "https://example.org/a", "title": "A", "publisher": "P", "published_on": None}
        ],
    }
    body.update(overrides)
    return body


def moment() -> str:
    """Now, as a client would write it, strictly after every write so far."""
    return timezone.now().isoformat().replace("+00:00", "Z")


def without_timestamps(body: dict) -> dict:
    return {name: value for name, value in body.items() if name not in TIMESTAMPS}


def created(editor_client, **overrides) -> dict:
    response = editor_client.post("/api/v1/measures/", new_measure(**overrides), format="json")
    assert response.status_code == 201, response.content
    return editor_client.get(f"/api/v1/measures/{response.json()['key']}/").json()


def test_a_measure_created_after_the_moment_is_absent(client, editor_client):
    known_on = moment()
    created(editor_client)

    assert "cn-known-2026-1" not in keys(
        client.get("/api/v1/measures/", {"as_known_on": known_on, "page_size": 500})
    )
    assert "cn-known-2026-1" in keys(client.get("/api/v1/measures/", {"page_size": 500}))
    detail = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": known_on})
    assert detail.status_code == 404
    timeline = client.get("/api/v1/measures/cn-known-2026-1/timeline/", {"as_known_on": known_on})
    assert timeline.status_code == 404


def test_a_measure_deleted_after_the_moment_is_present_as_it_was(client, editor_client):
    before = created(editor_client)
    known_on = moment()
    assert editor_client.delete("/api/v1/measures/cn-known-2026-1/").status_code == 204

    detail = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": known_on})
    listed = client.get("/api/v1/measures/", {"as_known_on": known_on, "page_size": 500})

    assert detail.status_code == 200
    assert without_timestamps(detail.json()) == without_timestamps(before)
    assert "cn-known-2026-1" in keys(listed)
    assert client.get("/api/v1/measures/cn-known-2026-1/").status_code == 404


def test_an_edit_after_the_moment_is_not_applied_nested_parts_included(client, editor_client):
    before = created(editor_client)
    known_on = moment()
    change = {
        "title": "Renamed",
        "effective_on": "2025-04-01",
        "materials": [{"material": "germanium", "scope": "all forms"}],
        "sectors": ["solar"],
        "events": [{"date": "2025-05-01", "type": "amended", "note": "", "source_url": None}],
        "sources": [],
        "related": [],
        "target_jurisdictions": [],
    }
    response = editor_client.patch("/api/v1/measures/cn-known-2026-1/", change, format="json")
    assert response.status_code == 200, response.content

    detail = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": known_on}).json()

    assert without_timestamps(detail) == without_timestamps(before)
    assert detail["created_at"] <= before["created_at"] or detail["created_at"] <= known_on
    assert client.get("/api/v1/measures/cn-known-2026-1/").json()["title"] == "Renamed"


def test_each_moment_shows_the_version_of_its_time(client, editor_client):
    created(editor_client)
    first = moment()
    editor_client.patch("/api/v1/measures/cn-known-2026-1/", {"title": "Second"}, format="json")
    second = moment()
    editor_client.patch("/api/v1/measures/cn-known-2026-1/", {"title": "Third"}, format="json")

    titles = [
        client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": when}).json()["title"]
        for when in (first, second, moment())
    ]

    assert titles == ["Export controls on test items", "Second", "Third"]


def test_in_force_on_a_day_as_known_on_another(client, editor_client):
    created(editor_client, events=[])  # in force from 2025-02-01
    known_on = moment()
    editor_client.patch(
        "/api/v1/measures/cn-known-2026-1/", {"effective_on": "2025-06-01"}, format="json"
    )

    as_known = client.get(
        "/api/v1/measures/", {"in_force_on": "2025-03-01", "as_known_on": known_on}
    )
    today = client.get("/api/v1/measures/", {"in_force_on": "2025-03-01"})

    assert "cn-known-2026-1" in keys(as_known)
    assert "cn-known-2026-1" not in keys(today)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"material": "gallium"},
        {"material": "rare-earth-supply-chain"},
        {"material_category": "rare_earth_element"},
        {"jurisdiction": "CN,US", "target": "US"},
        {"authority": "mofcom", "measure_type": "export_licence_requirement"},
        {"sector": "semiconductors"},
        {"status": "suspended", "as_of": "2026-01-01"},
        {"in_force_on": "2025-06-01"},
        {"announced_after": "2024-01-01", "effective_before": "2025-12-31"},
        {"ordering": "title"},
        {"ordering": "-announced_on,key"},
        {"ordering": "effective_on"},
    ],
)
def test_an_unchanged_timeline_reads_as_known_as_it_reads_today(client, query):
    """Statuses aside (as known they are the moment's day's, here today too), the rebuilt
    answer and today's agree: same measures, same order, same bodies."""
    known_on = moment()
    today = results(client.get("/api/v1/measures/", {**query, "page_size": 500}))
    as_known = results(
        client.get("/api/v1/measures/", {**query, "page_size": 500, "as_known_on": known_on})
    )

    assert [without_timestamps(body) for body in as_known] == [
        without_timestamps(body) for body in today
    ]


@pytest.mark.parametrize("text", ["GALLIUM", "rare-earth", "licence"])
def test_a_search_as_known_finds_what_todays_finds(client, text):
    """The same search rule over the texts the versions hold; ranked by relevance only today
    (the index is today's), so the same measures, in the list's default order."""
    today = results(client.get("/api/v1/measures/", {"q": text, "page_size": 500}))
    as_known = results(
        client.get("/api/v1/measures/", {"q": text, "page_size": 500, "as_known_on": moment()})
    )
    assert today
    assert {body["key"] for body in as_known} == {body["key"] for body in today}


def test_a_timeline_as_known_shows_the_events_of_that_version(client, editor_client):
    created(editor_client)
    before = client.get("/api/v1/measures/cn-known-2026-1/timeline/").json()
    known_on = moment()
    editor_client.patch(
        "/api/v1/measures/cn-known-2026-1/",
        {"events": [], "ends_on": "2026-01-01"},
        format="json",
    )

    as_known = client.get("/api/v1/measures/cn-known-2026-1/timeline/", {"as_known_on": known_on})
    newest_first = client.get(
        "/api/v1/measures/cn-known-2026-1/timeline/",
        {"as_known_on": known_on, "ordering": "-date", "type": "announced,suspended"},
    )

    assert as_known.json() == before
    assert [entry["type"] for entry in before["results"]] == ["announced", "effective", "suspended"]
    assert [entry["type"] for entry in newest_first.json()["results"]] == [
        "suspended",
        "announced",
    ]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2025-06-01", "invalid"),
        ("2025-06-01T00:00:00", "invalid"),
        ("2999-01-01T00:00:00Z", "future_moment"),
        ("2025-02-30T00:00:00Z", "no_such_moment"),
    ],
)
@pytest.mark.parametrize(
    "address",
    [
        "/api/v1/measures/",
        "/api/v1/measures/cn-mofcom-2025-62/",
        "/api/v1/measures/cn-mofcom-2025-62/timeline/",
    ],
)
def test_a_bad_moment_is_a_400_naming_the_parameter(client, address, value, code):
    response = client.get(address, {"as_known_on": value})

    assert response.status_code == 400
    assert error_attrs(response) == {"as_known_on"}
    assert response.json()["errors"][0]["code"] == code


def test_a_moment_given_twice_is_refused(client):
    response = client.get(
        "/api/v1/measures/cn-mofcom-2025-62/?as_known_on=2025-01-01T00:00:00Z"
        "&as_known_on=2025-02-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert error_attrs(response) == {"as_known_on"}


def test_before_anything_was_recorded_nothing_is_known(client):
    response = client.get("/api/v1/measures/", {"as_known_on": "2000-01-01T00:00:00Z"})

    assert results(response) == []


@pytest.fixture
def recorded_yesterday(db):
    """Every version recorded a day earlier, so that an hour ago is a settled moment."""
    Measure.history.update(history_date=F("history_date") - datetime.timedelta(days=1))


def test_an_answer_about_a_settled_moment_is_immutable_and_stays_so(
    client, editor_client, real_cache, settings, recorded_yesterday
):
    settings.REGWATCH_READ_CACHE_SECONDS = 300
    known_on = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    address = "/api/v1/measures/cn-mofcom-2025-62/"
    first = client.get(address, {"as_known_on": known_on})
    editor_client.patch(address, {"title": "Changed since"}, format="json")

    again = client.get(address, {"as_known_on": known_on})
    revalidated = client.get(address, {"as_known_on": known_on}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert "immutable" in first["Cache-Control"]
    assert again.json() == first.json()
    assert again["ETag"] == first["ETag"]
    assert revalidated.status_code == 304
    assert client.get(address).json()["title"] == "Changed since"


def test_an_answer_matching_materials_by_todays_groups_is_not_marked_immutable(
    client, recorded_yesterday
):
    known_on = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    response = client.get("/api/v1/measures/", {"as_known_on": known_on, "material": "gallium"})

    assert keys(response)
    assert "immutable" not in response.get("Cache-Control", "")


def test_an_answer_about_a_recent_moment_is_not_marked_immutable(client):
    response = client.get("/api/v1/measures/", {"as_known_on": moment()})

    assert response.status_code == 200
    assert "immutable" not in response.get("Cache-Control", "")
    assert response["ETag"]


def test_the_list_as_known_runs_as_many_queries_whatever_the_page_size(client):
    known_on = moment()
    counts = []
    for size in (1, 500):
        with CaptureQueriesContext(connection) as queries:
            results(client.get("/api/v1/measures/", {"page_size": size, "as_known_on": known_on}))
        counts.append(len(queries))

    # The versions known; for the page: first versions, material names (table, history),
    # sector names (table, history). A page listing no sector skips those two.
    assert max(counts) <= 6
    assert counts[1] == 6


def test_a_measure_deleted_before_the_moment_and_restored_after_is_absent(client, editor_client):
    created(editor_client)
    editor_client.delete("/api/v1/measures/cn-known-2026-1/")
    known_on = moment()
    versions = client.get("/api/v1/history/measures/cn-known-2026-1/").json()["results"]
    first = versions[-1]["version"]
    restored = editor_client.post(f"/api/v1/history/measures/cn-known-2026-1/{first}/restore/")
    assert restored.status_code == 201, restored.content

    then = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": known_on})
    now = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": moment()})

    assert then.status_code == 404
    assert now.status_code == 200
    assert now.json()["title"] == "Export controls on test items"


def test_dates_known_to_the_month_or_year_read_as_known_as_today(client, editor_client):
    events = [{"date": "2025", "type": "suspended", "note": "", "source_url": None}]
    today = created(editor_client, effective_on="2025-03", announced_on="2025-02", events=events)

    known = client.get("/api/v1/measures/cn-known-2026-1/", {"as_known_on": moment()}).json()
    timeline = client.get(
        "/api/v1/measures/cn-known-2026-1/timeline/", {"as_known_on": moment()}
    ).json()

    assert known["effective_on"] == "2025-03"
    assert without_timestamps(known) == without_timestamps(today)
    assert timeline == client.get("/api/v1/measures/cn-known-2026-1/timeline/").json()


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/measures/", {"format": "csv"}),
        ("/api/v1/measures/", {"format": "ics"}),
        ("/api/v1/measures/", {"facets": "status"}),
        ("/api/v1/measures/cn-mofcom-2025-62/timeline/", {"format": "csv"}),
        ("/api/v1/measures/cn-mofcom-2025-62/timeline/", {"format": "ics"}),
    ],
)
def test_an_export_or_facets_as_known_is_refused_by_name(client, path, extra):
    response = client.get(path, {"as_known_on": moment(), **extra})

    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("as_known_on", "json_only")
