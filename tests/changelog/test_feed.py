import pytest
from django.db import transaction

from changelog.cursor import encode, last_position
from tests.api.test_measure_writes import new_measure
from timeline.models import Material, Measure
from timeline.services import delete_measure

URL = "/api/v1/changes/"


def feed(client, **params) -> dict:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def head(client) -> str:
    return encode(last_position())


def test_a_measure_written_through_the_api_shows_created_updated_and_deleted_in_order(
    client, editor_client, demo_data
):
    start = head(client)
    assert editor_client.post("/api/v1/measures/", new_measure(), format="json").status_code == 201
    editor_client.patch("/api/v1/measures/cn-test-2026-1/", {"title": "Renamed"}, format="json")
    editor_client.delete("/api/v1/measures/cn-test-2026-1/")

    changes = feed(client, after=start, kind="measure")["results"]

    assert [(c["key"], c["action"]) for c in changes] == [
        ("cn-test-2026-1", "created"),
        ("cn-test-2026-1", "updated"),
        ("cn-test-2026-1", "deleted"),
    ]
    assert changes[1]["measure"]["title"] == "Renamed"
    assert changes[2]["measure"] is None  # the tombstone


def test_the_version_of_a_change_is_the_measures_history_version(client, editor_client, demo_data):
    start = head(client)
    editor_client.patch("/api/v1/measures/cn-mofcom-2025-62/", {"title": "New"}, format="json")

    change = feed(client, after=start)["results"][0]
    history = client.get("/api/v1/history/measures/cn-mofcom-2025-62/").json()["results"]

    assert change["version"] == history[0]["version"]
    assert change["measure"] == history[0]["measure"]


def test_resuming_after_the_last_cursor_shows_only_newer_changes(client, make_material, db):
    start = head(client)
    make_material("Alpha")
    first = feed(client, after=start)
    make_material("Beta")

    second = feed(client, after=first["next_cursor"])

    assert [c["key"] for c in first["results"]] == ["alpha"]
    assert [c["key"] for c in second["results"]] == ["beta"]
    assert feed(client, after=second["next_cursor"])["results"] == []


def test_pages_follow_one_another_without_gap_or_repeat(client, make_material, db):
    start = head(client)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        make_material(name)

    seen, cursor = [], start
    while page := feed(client, after=cursor, limit=2)["results"]:
        seen += [c["key"] for c in page]
        cursor = page[-1]["cursor"]

    assert seen == ["a1", "a2", "a3", "a4", "a5"]


def test_materials_authorities_and_sectors_are_in_the_feed(client, demo_data):
    start = head(client)
    material = Material.objects.get(slug="gallium")
    material.name = "Gallium (Ga)"
    material.save()

    changes = feed(client, after=start)["results"]

    assert [(c["kind"], c["key"], c["action"]) for c in changes] == [
        ("material", "gallium", "updated")
    ]
    assert changes[0]["measure"] is None


def test_a_rolled_back_write_leaves_no_change(client, demo_data):
    start = head(client)
    with pytest.raises(RuntimeError), transaction.atomic():
        delete_measure(Measure.objects.get(key="cn-mofcom-2025-62"), force=True)
        raise RuntimeError("abandon")

    assert feed(client, after=start)["results"] == []


def test_a_bulk_load_records_one_change_per_measure(client, editor_client, demo_data):
    from timeline.importers import DEMO_FILES, load, read_documents

    delete_measure(Measure.objects.get(key="cn-mofcom-2025-62"), force=True)
    start = head(client)
    load(read_documents(DEMO_FILES))

    changes = feed(client, after=start, key="cn-mofcom-2025-62")["results"]

    assert [(c["key"], c["action"]) for c in changes] == [("cn-mofcom-2025-62", "created")]


def test_measure_filters_keep_matching_measures_and_every_deletion(
    client, editor_client, demo_data
):
    start = head(client)
    editor_client.patch("/api/v1/measures/cn-mofcom-2025-62/", {"title": "CN"}, format="json")
    us = Measure.objects.exclude(jurisdiction__code="CN").values_list("key", flat=True).first()
    editor_client.patch(f"/api/v1/measures/{us}/", {"title": "Not CN"}, format="json")
    delete_measure(Measure.objects.get(key=us), force=True)

    changes = feed(client, after=start, jurisdiction="CN")["results"]

    assert [(c["key"], c["action"]) for c in changes] == [
        ("cn-mofcom-2025-62", "updated"),
        (us, "deleted"),
    ]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"after": "not-a-cursor"}, "after"),
        ({"after": encode(5) + "x"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"kind": "treaty"}, "kind"),
        ({"material": "unobtainium"}, "material"),
        ({"ordering": "key"}, "ordering"),
        ({"facets": "status"}, "facets"),
        ({"as_known_on": "2020-01-01T00:00:00Z"}, "as_known_on"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, demo_data, query, name):
    response = client.get(URL, query)

    assert response.status_code == 400, response.content
    assert {error["attr"] for error in response.json()["errors"]} == {name}


def test_an_empty_page_hands_back_the_cursor_it_was_given(client, db):
    cursor = head(client)

    assert feed(client, after=cursor) == {
        "results": [],
        "next_cursor": cursor,
        "next": feed(client, after=cursor)["next"],
    }
    assert feed(client, after=cursor)["next"].endswith(f"after={cursor}")


def test_the_feed_reads_a_bounded_number_of_queries_whatever_the_page_size(
    client, editor_client, demo_data, django_assert_max_num_queries
):
    start = head(client)
    for number in range(5):
        editor_client.patch(
            "/api/v1/measures/cn-mofcom-2025-62/", {"title": f"T{number}"}, format="json"
        )

    # the page of changes, the measures' versions
    with django_assert_max_num_queries(2):
        assert len(client.get(URL, {"after": start, "limit": 1000}).json()["results"]) == 5
