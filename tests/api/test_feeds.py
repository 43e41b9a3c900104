import pytest

from tests.api.conftest import error_attrs, results


def summary(response):
    return [(e["date"], e["type"], e["measure"]["key"]) for e in results(response)]


def test_measure_timeline_is_dates_and_events_in_date_order(client, demo_data):
    timeline = results(client.get("/api/v1/measures/cn-mofcom-gac-2025-10/timeline/"))
    assert [(e["date"], e["type"], e["derived"]) for e in timeline] == [
        ("2025-02-04", "announced", False),  # recorded
        ("2025-02-04", "effective", True),  # from effective_on, not recorded as an event
    ]
    assert timeline[0]["measure"]["key"] == "cn-mofcom-gac-2025-10"


def test_measure_timeline_includes_suspension_and_scheduled_reinstatement(client, demo_data):
    timeline = summary(client.get("/api/v1/measures/cn-mofcom-gac-2025-55/timeline/"))
    assert [t for _, t, _ in timeline] == ["announced", "suspended", "effective", "reinstated"]


def test_unknown_measure_timeline_is_404_json(client, demo_data):
    response = client.get("/api/v1/measures/nope/timeline/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_material_timeline_expands_groups(client, demo_data):
    keys = {
        k
        for _, _, k in summary(
            client.get("/api/v1/materials/dysprosium/timeline/", {"page_size": 500})
        )
    }
    assert keys == {
        "cn-mofcom-gac-2025-18",  # lists dysprosium
        "eu-2024-1252-crma",  # lists dysprosium
        "cn-mofcom-2025-61",  # lists rare earth elements, a group holding it
        "cn-mofcom-gac-2025-70",
        "us-bis-232-critical-minerals-2025",
    }


def test_material_timeline_of_a_group_reaches_members(client, demo_data):
    keys = {
        k
        for _, _, k in summary(client.get("/api/v1/materials/light-rare-earth-elements/timeline/"))
    }
    assert "eu-2024-1252-crma" in keys  # lists neodymium
    assert "cn-mofcom-gac-2025-18" not in keys  # heavy only


def test_event_feed_is_chronological_across_measures(client, demo_data):
    dates = [d for d, _, _ in summary(client.get("/api/v1/events/", {"page_size": 500}))]
    assert dates == sorted(dates)
    assert len({k for _, _, k in summary(client.get("/api/v1/events/", {"page_size": 500}))}) == 19


def test_event_feed_newest_first(client, demo_data):
    dates = [d for d, _, _ in summary(client.get("/api/v1/events/", {"ordering": "-date"}))]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == "2026-11-27"


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"date_after": "2025-11-07", "date_before": "2025-11-07"},
         lambda rows: rows and all(d == "2025-11-07" for d, _, _ in rows)),
        ({"type": "suspended,reinstated"}, lambda rows: {t for _, t, _ in rows} == {"suspended", "reinstated"}),
        ({"jurisdiction": "EU"}, lambda rows: {k for _, _, k in rows} == {"eu-2024-1252-crma"}),
        ({"measure": "cn-mofcom-2025-72,cn-mofcom-gac-2025-70"},
         lambda rows: {k for _, _, k in rows} == {"cn-mofcom-2025-72", "cn-mofcom-gac-2025-70"}),
        ({"material": "antimony", "type": "announced"},
         lambda rows: {k for _, _, k in rows}
         == {"cn-mofcom-gac-2024-33", "cn-mofcom-2024-46-art1", "cn-mofcom-2024-46-art2", "cn-mofcom-2025-72"}),
    ],
)  # fmt: skip
def test_event_feed_filters(client, demo_data, params, check):
    assert check(summary(client.get("/api/v1/events/", {**params, "page_size": 500})))


def test_date_range_is_inclusive_at_both_ends(client, demo_data):
    rows = summary(
        client.get("/api/v1/events/", {"date_after": "2025-10-09", "date_before": "2025-11-08"})
    )
    assert rows[0][0] == "2025-10-09"
    assert rows[-1][0] == "2025-11-08"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"date_after": "2025-02-30"}, "date_after"),
        ({"type": "explosion"}, "type"),
        ({"ordering": "key"}, "ordering"),
        ({"measure": "nope"}, "measure"),
        ({"material": "nope"}, "material"),
    ],
)
def test_bad_feed_parameter_is_400(client, demo_data, params, parameter):
    response = client.get("/api/v1/events/", params)
    assert response.status_code == 400
    assert error_attrs(response) == {parameter}


def test_feeds_are_read_only(editor_client, demo_data):
    assert editor_client.post("/api/v1/events/", {}, format="json").status_code == 405
    assert (
        editor_client.post(
            "/api/v1/measures/cn-mofcom-2025-62/timeline/", {}, format="json"
        ).status_code
        == 405
    )
