"""A page of ``GET /measures/?material=X&in_force_on=D`` in the default order, and of
``GET /materials/X/timeline/``, is read off the periods and events stored per matched material
(``timeline.matches``): every write that moves what a page holds, or its order, must move them.
(The suite's check after every test holds them equal to a rebuild; these make sure the writes
that need it happen.)"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.admin_forms import admin_change
from timeline.matches import MatchedEvent, MatchedInForcePeriod
from timeline.models import Material, MaterialCategory

D = datetime.date
DAY = D(2024, 6, 1)


def timeline(client, slug: str) -> list[tuple[str, str, str]]:
    body = client.get(f"/api/v1/materials/{slug}/timeline/?page_size=500")
    assert body.status_code == 200
    return [(e["date"], e["type"], e["measure"]["key"]) for e in body.json()["results"]]


def page(client, slug: str, day: datetime.date = DAY) -> list[str]:
    body = client.get(f"/api/v1/measures/?material={slug}&in_force_on={day}&page_size=500")
    assert body.status_code == 200
    return [measure["key"] for measure in body.json()["results"]]


@pytest.fixture
def group(make_material):
    ree = make_material("Test rare earths", category=MaterialCategory.GROUP)
    return {"ree": ree, "element": make_material("Test element", groups=[ree])}


def test_a_key_renamed_in_the_admin_moves_the_measure_among_those_in_force_from_the_same_day(
    admin_client, client, group, make_measure
):
    measures = [
        make_measure(key=key, effective_on=D(2024, 1, 1), materials=[group["element"]])
        for key in ("b-measure", "c-measure")
    ]
    assert page(client, "test-element") == ["b-measure", "c-measure"]
    response = admin_change(admin_client, measures[1], key="a-measure")
    assert response.status_code == 302
    assert page(client, "test-element") == ["a-measure", "b-measure"]
    assert page(client, "test-rare-earths") == ["a-measure", "b-measure"]


def test_an_entry_into_force_that_moves_no_period_still_moves_the_measure(
    editor_client, client, group, make_measure
):
    # Suspended from before its entry into force until 2024-01-01: in force from then, wherever
    # its entry into force lies before that. The list orders by entry into force.
    make_measure(key="suspended-early", effective_on=D(2023, 6, 1), materials=[group["element"]],
                 events=[(D(2023, 1, 1), "suspended"), (D(2024, 1, 1), "reinstated")])  # fmt: skip
    make_measure(key="plain", effective_on=D(2023, 3, 1), materials=[group["element"]])
    assert page(client, "test-element") == ["suspended-early", "plain"]
    response = editor_client.patch(
        "/api/v1/measures/suspended-early/", {"effective_on": "2023-02-01"}, format="json"
    )
    assert response.status_code == 200
    assert page(client, "test-element") == ["plain", "suspended-early"]


def test_joining_and_leaving_a_group_moves_the_groups_measures_onto_and_off_the_member(
    client, group, make_material, make_measure
):
    make_measure(key="on-the-group", effective_on=D(2024, 1, 1), materials=[group["ree"]])
    newcomer = make_material("Test newcomer")
    assert page(client, "test-newcomer") == []
    assert timeline(client, "test-newcomer") == []
    newcomer.groups.add(group["ree"])
    assert page(client, "test-newcomer") == ["on-the-group"]
    assert timeline(client, "test-newcomer") == [("2024-01-01", "effective", "on-the-group")]
    group["ree"].members.remove(newcomer)
    assert page(client, "test-newcomer") == []
    assert timeline(client, "test-newcomer") == []


def test_a_measure_listing_several_materials_joins_a_group_once(
    client, group, make_material, make_measure
):
    # It lists three materials, each of which it now matches the group through.
    listed = [make_material(f"Test listed {n}") for n in range(3)]
    make_measure(key="on-three", effective_on=D(2024, 1, 1), materials=listed)
    make_measure(key="on-the-element", effective_on=D(2023, 1, 1), materials=[group["element"]])
    for material in listed:
        material.groups.add(group["ree"])
    assert page(client, "test-rare-earths") == ["on-three", "on-the-element"]
    assert [key for _, _, key in timeline(client, "test-rare-earths")] == [
        "on-the-element",
        "on-three",
    ]


def test_events_added_moved_and_removed_move_every_matching_materials_timeline(
    editor_client, client, group, make_measure
):
    make_measure(key="on-the-group", effective_on=D(2024, 1, 1), materials=[group["ree"]])
    make_measure(key="on-the-member", effective_on=D(2024, 2, 1), materials=[group["element"]])
    url = "/api/v1/measures/on-the-group/"
    suspended = {"events": [{"date": "2024-03-01", "type": "suspended"}]}
    assert editor_client.patch(url, suspended, format="json").status_code == 200
    expected = [("2024-01-01", "effective", "on-the-group"),
                ("2024-02-01", "effective", "on-the-member"),
                ("2024-03-01", "suspended", "on-the-group")]  # fmt: skip
    assert timeline(client, "test-element") == expected
    assert timeline(client, "test-rare-earths") == expected
    moved = {"events": [{"date": "2023-12-01", "type": "suspended"}]}
    assert editor_client.patch(url, moved, format="json").status_code == 200
    assert timeline(client, "test-element")[0] == ("2023-12-01", "suspended", "on-the-group")
    assert editor_client.patch(url, {"events": []}, format="json").status_code == 200
    assert [e[1] for e in timeline(client, "test-element")] == ["effective", "effective"]


def test_deleting_a_measure_or_a_material_deletes_their_rows(
    editor_client, group, make_material, make_measure
):
    gone = make_material("Test gone", groups=[group["ree"]])
    make_measure(key="kept", effective_on=D(2024, 1, 1), materials=[group["ree"]])
    measure = make_measure(key="deleted", effective_on=D(2024, 1, 1), materials=[group["ree"]])
    for model in (MatchedInForcePeriod, MatchedEvent):
        assert model.objects.filter(measure_id=measure.pk).exists()
    assert editor_client.delete("/api/v1/measures/deleted/").status_code == 204
    gone_pk = gone.pk
    gone.delete()
    for model in (MatchedInForcePeriod, MatchedEvent):
        assert not model.objects.filter(measure_id=measure.pk).exists()
        assert not model.objects.filter(material_id=gone_pk).exists()
        assert model.objects.filter(material=group["element"]).exists()


def test_a_save_that_moves_nothing_a_page_shows_writes_no_row(editor_client, group, make_measure):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[group["element"]])
    tables = {model._meta.db_table for model in (MatchedInForcePeriod, MatchedEvent)}
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.patch(
            f"/api/v1/measures/{measure.key}/", {"title": "Renamed"}, format="json"
        )
    assert response.status_code == 200
    written = [
        q["sql"]
        for q in queries
        if any(table in q["sql"] for table in tables) and not q["sql"].startswith("SELECT")
    ]
    assert written == []


def test_the_page_is_one_statement_on_the_matched_periods(client, demo_data):
    ree = Material.objects.get(slug="rare-earth-elements")
    assert MatchedInForcePeriod.objects.filter(material=ree).exists()
    table = MatchedInForcePeriod._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert page(client, "rare-earth-elements", D(2025, 6, 1))
    assert len([q for q in queries if table in q["sql"]]) == 1
    # No group expansion is read for it: the rows hold every material a measure matches.
    assert not [q for q in queries if "RECURSIVE" in q["sql"]]


def test_a_timeline_page_is_one_statement_on_the_matched_events(client, demo_data):
    table = MatchedEvent._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        assert timeline(client, "rare-earth-elements")
    assert len([q for q in queries if table in q["sql"]]) == 1
    assert not [q for q in queries if "RECURSIVE" in q["sql"]]


def test_the_command_finds_rows_changed_behind_the_write_paths_and_rewrites_them(demo_data):
    dysprosium = Material.objects.get(slug="dysprosium")
    before = sorted(
        MatchedInForcePeriod.objects.filter(material=dysprosium).values_list(
            "measure_id", "starts_on", "ends_before"
        )
    )
    MatchedInForcePeriod.objects.filter(material=dysprosium).update(starts_on=D(1990, 1, 1))
    with pytest.raises(SystemExit):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    MatchedEvent.objects.filter(material=dysprosium).first().delete()
    with pytest.raises(SystemExit):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    held_twice = MatchedEvent.objects.filter(material=dysprosium).first()
    held_twice.pk = None
    held_twice.save()  # the same row again
    with pytest.raises(SystemExit):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    call_command("rebuild_counts", "--check")
    with connection.cursor() as cursor:  # rewritten without their page indexes, then rebuilt
        for model in (MatchedInForcePeriod, MatchedEvent):
            (index,) = model._meta.indexes
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            assert constraints[index.name]["columns"] == [
                model._meta.get_field(name.lstrip("-")).column for name in index.fields
            ]
    assert before == sorted(
        MatchedInForcePeriod.objects.filter(material=dysprosium).values_list(
            "measure_id", "starts_on", "ends_before"
        )
    )
