"""The count of ``GET /measures/?material=X&in_force_on=D`` and of ``GET /materials/X/timeline/``
are read from numbers kept per material (``timeline.counts``): each must be the number of rows
the list holds, on every day, after every kind of write."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from timeline import counts as kept_counts
from timeline.counts import (
    EventCountDay,
    InForceCountChange,
    InForceCountMonth,
    TimelineEventCount,
    events_in_range_count,
    measures_in_force_count,
    rebuild_counts,
    timeline_event_count,
)
from timeline.models import InForcePeriod, Material, MaterialCategory, MeasureEvent
from timeline.periods import measures_in_force_listing
from timeline.querysets import events_matching

GROUP = MaterialCategory.GROUP
D = datetime.date


def counted(material: Material, day: datetime.date) -> int:
    """The number the periods give, counted (how the count was taken before it was kept)."""
    ids = Material.objects.related_ids([material])
    return measures_in_force_listing(ids, day).distinct().count()


def listed(client, slug: str, day: datetime.date) -> tuple[int, int]:
    """The list's count, and how many measures its pages hold."""
    url = f"/api/v1/measures/?material={slug}&in_force_on={day}&page_size=500"
    body = client.get(url).json()
    return body["count"], len(body["results"])


def test_the_kept_count_is_the_counted_one_for_every_material_on_every_day_that_matters(
    demo_data,
):
    """Every day a matching period starts or ends, the day before each, and the first day of
    every month from 2019 to 2027 and the day before it."""
    checked = 0
    months = [D(year, month, 1) for year in range(2019, 2028) for month in range(1, 13)]
    for material in Material.objects.all():
        ids = Material.objects.related_ids([material])
        periods = set(
            InForcePeriod.objects.filter(material_id__in=ids).values_list(
                "measure_id", "starts_on", "ends_before"
            )
        )
        days = set(months) | {day for _, start, end in periods for day in (start, end) if day}
        for day in days | {day - datetime.timedelta(days=1) for day in days}:
            in_force = {pk for pk, start, end in periods if start <= day and (not end or day < end)}
            assert measures_in_force_count(material.pk, day) == len(in_force), (material.slug, day)
            checked += 1
    assert checked > 5_000


@pytest.mark.parametrize(
    ("slug", "day"),
    [
        ("gallium", D(2023, 8, 1)),
        ("gallium", D(2023, 7, 31)),
        ("rare-earth-elements", D(2025, 6, 1)),
        ("dysprosium", D(2025, 6, 1)),
        ("dysprosium", D(2025, 12, 1)),
        ("graphite", D(2024, 1, 1)),
        ("antimony", D(1990, 1, 1)),
    ],
)
def test_a_list_counts_the_measures_it_holds(client, demo_data, slug, day):
    count, held = listed(client, slug, day)
    assert count == held
    assert count == counted(Material.objects.get(slug=slug), day)


def test_several_materials_are_counted_once_per_measure(client, demo_data):
    count, held = listed(client, "gallium,germanium", D(2024, 6, 1))
    assert count == held > 0


@pytest.fixture(params=["moved", "recounted"])
def rare_earths(request, make_material, monkeypatch):
    """Each write test runs twice: counts moved measure by measure, and recounted whole per
    material (as a load of many measures does)."""
    if request.param == "recounted":
        monkeypatch.setattr(kept_counts, "RECOUNT_PAST_MEASURES", 0)
    ree = make_material("Test rare earths", category=GROUP)
    heavy = make_material("Test heavy rare earths", category=GROUP, groups=[ree])
    element = make_material("Test element", groups=[heavy])
    other = make_material("Test other element")
    return {"ree": ree, "heavy": heavy, "element": element, "other": other}


def counts(materials: dict[str, Material], day: datetime.date) -> dict[str, int]:
    return {name: measures_in_force_count(m.pk, day) for name, m in materials.items()}


def test_a_measure_counts_for_its_material_and_every_group_of_it_while_in_force(
    rare_earths, make_measure
):
    make_measure(
        effective_on=D(2024, 3, 10),
        ends_on=D(2025, 3, 10),
        events=[(D(2024, 6, 1), "suspended"), (D(2024, 9, 1), "reinstated")],
        materials=[rare_earths["element"]],
    )
    every = {"ree": 1, "heavy": 1, "element": 1, "other": 0}
    none = dict.fromkeys(every, 0)
    assert counts(rare_earths, D(2024, 3, 9)) == none
    assert counts(rare_earths, D(2024, 3, 10)) == every
    assert counts(rare_earths, D(2024, 5, 31)) == every
    assert counts(rare_earths, D(2024, 6, 1)) == none  # suspended
    assert counts(rare_earths, D(2024, 9, 1)) == every  # reinstated
    assert counts(rare_earths, D(2025, 3, 9)) == every
    assert counts(rare_earths, D(2025, 3, 10)) == none  # ended


def test_a_measure_on_a_group_counts_for_its_members(rare_earths, make_measure):
    make_measure(effective_on=D(2024, 1, 1), materials=[rare_earths["heavy"]])
    assert counts(rare_earths, D(2030, 1, 1)) == {"ree": 1, "heavy": 1, "element": 1, "other": 0}


def test_a_measure_listing_a_material_and_its_group_counts_once(rare_earths, make_measure):
    make_measure(
        effective_on=D(2024, 1, 1), materials=[rare_earths["heavy"], rare_earths["element"]]
    )
    assert counts(rare_earths, D(2024, 1, 1)) == {"ree": 1, "heavy": 1, "element": 1, "other": 0}


def test_edits_deletes_and_regrouping_through_the_api_move_the_count(
    client, editor_client, rare_earths, make_measure
):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[rare_earths["element"]])
    day = D(2024, 6, 1)
    assert listed(client, "test-rare-earths", day) == (1, 1)

    moved = editor_client.patch(
        f"/api/v1/measures/{measure.key}/", {"effective_on": "2024-07-01"}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert listed(client, "test-rare-earths", day) == (0, 0)
    assert listed(client, "test-rare-earths", D(2024, 7, 1)) == (1, 1)

    # The element leaves the heavy rare earths: the groups no longer match the measure.
    regrouped = editor_client.patch(
        "/api/v1/materials/test-element/", {"groups": []}, format="json"
    )
    assert regrouped.status_code == 200, regrouped.json()
    assert listed(client, "test-rare-earths", D(2024, 7, 1)) == (0, 0)
    assert listed(client, "test-element", D(2024, 7, 1)) == (1, 1)

    # The element joins the rare earths directly: they match the measure again.
    rejoined = editor_client.patch(
        "/api/v1/materials/test-element/", {"groups": ["test-rare-earths"]}, format="json"
    )
    assert rejoined.status_code == 200, rejoined.json()
    assert listed(client, "test-rare-earths", D(2024, 7, 1)) == (1, 1)
    assert listed(client, "test-heavy-rare-earths", D(2024, 7, 1)) == (0, 0)

    deleted = editor_client.delete(f"/api/v1/measures/{measure.key}/")
    assert deleted.status_code == 204
    assert listed(client, "test-element", D(2024, 7, 1)) == (0, 0)
    assert counts(rare_earths, D(2024, 7, 1)) == dict.fromkeys(rare_earths, 0)


def test_deleting_a_group_in_the_middle_cuts_its_members_from_the_groups_above(
    client, editor_client, rare_earths, make_measure
):
    make_measure(effective_on=D(2024, 1, 1), materials=[rare_earths["element"]])
    assert listed(client, "test-rare-earths", D(2024, 6, 1)) == (1, 1)
    assert editor_client.delete("/api/v1/materials/test-heavy-rare-earths/").status_code == 204
    assert listed(client, "test-rare-earths", D(2024, 6, 1)) == (0, 0)
    assert listed(client, "test-element", D(2024, 6, 1)) == (1, 1)


def test_a_save_that_moves_no_date_or_material_writes_no_count(
    editor_client, rare_earths, make_measure
):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[rare_earths["element"]])
    tables = {model._meta.db_table for model in (InForceCountChange, InForceCountMonth)}
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.patch(
            f"/api/v1/measures/{measure.key}/", {"title": "Renamed"}, format="json"
        )
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if any(table in q["sql"] for table in tables)]


def test_a_rebuild_gives_the_same_answers(client, demo_data):
    before = listed(client, "rare-earth-elements", D(2025, 6, 1))
    InForceCountChange.objects.all().delete()
    InForceCountMonth.objects.all().delete()
    ree = Material.objects.get(slug="rare-earth-elements")
    assert measures_in_force_count(ree.pk, D(2025, 6, 1)) == 0  # nothing kept
    rebuild_counts()
    assert listed(client, "rare-earth-elements", D(2025, 6, 1)) == before


def timeline_length(client, slug: str) -> int:
    return client.get(f"/api/v1/materials/{slug}/timeline/?page_size=1").json()["count"]


def test_every_materials_timeline_counts_the_events_of_the_measures_matching_it(client, demo_data):
    for material in Material.objects.all():
        events = events_matching(MeasureEvent.objects.all(), [material]).count()
        assert timeline_event_count(material.pk) == events, material.slug
    dysprosium = Material.objects.get(slug="dysprosium")
    assert timeline_length(client, "dysprosium") == timeline_event_count(dysprosium.pk) > 0


def test_a_timeline_counts_what_it_holds(client, demo_data):
    body = client.get("/api/v1/materials/gallium/timeline/?page_size=500").json()
    assert body["count"] == len(body["results"]) > 0


def test_events_added_moved_to_other_materials_and_deleted_move_the_timelines(
    client, editor_client, rare_earths, make_measure
):
    measure = make_measure(
        announced_on=D(2024, 1, 1), effective_on=D(2024, 3, 1), materials=[rare_earths["element"]]
    )
    assert {m: timeline_length(client, m) for m in ("test-rare-earths", "test-element")} == {
        "test-rare-earths": 2,  # announced, entered into force
        "test-element": 2,
    }
    suspended = editor_client.patch(
        f"/api/v1/measures/{measure.key}/",
        {"events": [{"date": "2024-06-01", "type": "suspended"}]},
        format="json",
    )
    assert suspended.status_code == 200, suspended.json()
    assert timeline_length(client, "test-rare-earths") == 3
    moved = editor_client.patch(
        f"/api/v1/measures/{measure.key}/",
        {"materials": [{"material": "test-other-element"}]},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert timeline_length(client, "test-rare-earths") == 0
    assert timeline_length(client, "test-other-element") == 3
    regrouped = editor_client.patch(
        "/api/v1/materials/test-other-element/",
        {"groups": ["test-heavy-rare-earths"]},
        format="json",
    )
    assert regrouped.status_code == 200, regrouped.json()
    assert timeline_length(client, "test-rare-earths") == 3
    assert editor_client.delete(f"/api/v1/measures/{measure.key}/").status_code == 204
    assert timeline_length(client, "test-rare-earths") == 0
    ours = [material.pk for material in rare_earths.values()]
    assert not TimelineEventCount.objects.filter(material_id__in=ours).exclude(events=0).exists()


def events_between(after: str, before: str) -> tuple[int, int]:
    """(the kept count of events dated from ``after`` to ``before``, the events counted)."""
    kept = events_in_range_count(D.fromisoformat(after), D.fromisoformat(before))
    return kept, MeasureEvent.objects.filter(date__gte=after, date__lte=before).count()


def test_events_in_a_date_range_are_counted_after_events_are_added_moved_and_deleted(
    editor_client, rare_earths, make_measure
):
    measure = make_measure(
        announced_on=D(2024, 1, 1), effective_on=D(2024, 3, 1), materials=[rare_earths["element"]]
    )
    windows = [
        ("2024-01-01", "2024-01-01"),
        ("2024-05-01", "2024-07-01"),
        ("1990-01-01", "2030-12-31"),
    ]
    before = {window: events_between(*window)[1] for window in windows}
    url = f"/api/v1/measures/{measure.key}/"
    events = [{"date": "2024-06-01", "type": "suspended"}]
    assert editor_client.patch(url, {"events": events}, format="json").status_code == 200
    events = [{"date": "2024-09-01", "type": "suspended"}]  # moved out of the second window
    assert editor_client.patch(url, {"events": events}, format="json").status_code == 200
    assert (
        editor_client.patch(url, {"announced_on": "2024-02-01"}, format="json").status_code == 200
    )
    changed = {window: events_between(*window) for window in windows}
    assert all(kept == counted for kept, counted in changed.values())
    assert [changed[w][1] - before[w] for w in windows] == [-1, 0, 1]
    assert editor_client.delete(url).status_code == 204
    assert {window: events_between(*window) for window in windows} == {
        window: (before[window] - count, before[window] - count)
        for window, count in zip(windows, [1, 0, 2], strict=True)  # as made
    }
    assert not EventCountDay.objects.filter(events=0).exists()


def test_the_command_finds_counts_changed_behind_the_write_paths_and_recounts_them(demo_data):
    from django.core.management import call_command

    dysprosium = Material.objects.get(slug="dysprosium")
    TimelineEventCount.objects.filter(material=dysprosium).update(events=0)
    with pytest.raises(SystemExit):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    call_command("rebuild_counts", "--check")
    assert timeline_event_count(dysprosium.pk) > 0


def test_regrouping_from_either_side_and_clearing_recounts_what_changed(rare_earths, make_measure):
    heavy, element, other = rare_earths["heavy"], rare_earths["element"], rare_earths["other"]
    make_measure(effective_on=D(2024, 1, 1), materials=[other])
    make_measure(effective_on=D(2024, 1, 1), materials=[element])
    day = D(2024, 6, 1)
    assert counts(rare_earths, day) == {"ree": 1, "heavy": 1, "element": 1, "other": 1}
    heavy.members.add(other)  # from the group's side
    assert counts(rare_earths, day) == {"ree": 2, "heavy": 2, "element": 1, "other": 1}
    heavy.members.clear()
    assert counts(rare_earths, day) == {"ree": 0, "heavy": 0, "element": 1, "other": 1}
    element.groups.add(heavy)
    other.groups.set([rare_earths["ree"]])
    assert counts(rare_earths, day) == {"ree": 2, "heavy": 1, "element": 1, "other": 1}
    element.groups.clear()  # from the member's side
    assert counts(rare_earths, day) == {"ree": 1, "heavy": 0, "element": 1, "other": 1}
