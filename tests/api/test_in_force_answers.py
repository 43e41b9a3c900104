"""Answers read off stored periods, and statuses computed when a page is built, must be what
the status rule in SQL (``MeasureQuerySet.with_status``) says."""

import datetime

import pytest
from django.utils import timezone

from timeline import periods
from timeline.models import Material, Measure, MeasureEvent
from timeline.synthetic import generate

D = datetime.date


@pytest.fixture
def synthetic(empty_timeline):
    generate(measures=400, seed=11)


@pytest.mark.parametrize("read", ["matched periods", "sorted", "walked"])
@pytest.mark.parametrize("day", [D(1995, 1, 1), D(2005, 6, 1), D(2020, 2, 29), D(2029, 12, 31)])
def test_measures_on_a_material_in_force_on_a_day_are_what_the_status_rule_selects(
    client, synthetic, monkeypatch, day, read
):
    # In the default order a page is read off the periods per matched material; in an order
    # asked for (here the same one), pages of few matches are sorted, of many walked in order.
    # Every way must agree.
    monkeypatch.setattr(periods, "SORTED_AT_MOST", 10**9 if read == "sorted" else 0)
    ordering = {} if read == "matched periods" else {"ordering": "-effective_on"}
    for slug in ["rare-earth-elements", "dysprosium", "gallium-oxide", "processed-materials"]:
        material = Material.objects.get(slug=slug)
        expected = list(
            Measure.objects.matching_materials([material])
            .with_status_in(day, ["in_force"])
            .values_list("key", flat=True)
        )
        body = client.get(
            "/api/v1/measures/",
            {"material": slug, "in_force_on": day.isoformat(), "page_size": 500, **ordering},
        ).json()
        assert body["count"] == len(expected)
        assert [m["key"] for m in body["results"]] == expected


def test_a_measure_in_force_is_counted_once_however_many_periods_and_materials_match(
    client, empty_timeline, make_material, make_measure
):
    group = make_material("Rare earth elements", category="group")
    dysprosium = make_material("Dysprosium", groups=[group])
    make_measure(key="twice-listed", effective_on=D(2020, 1, 1), materials=[group, dysprosium],
                 events=[(D(2021, 1, 1), "suspended"), (D(2022, 1, 1), "reinstated")])  # fmt: skip
    make_measure(key="other", effective_on=D(2019, 1, 1), materials=[dysprosium])
    for day, expected in [("2020-06-01", ["twice-listed", "other"]), ("2021-06-01", ["other"]),
                          ("2023-06-01", ["twice-listed", "other"])]:  # fmt: skip
        body = client.get("/api/v1/measures/", {"material": "dysprosium", "in_force_on": day})
        assert body.json()["count"] == len(expected)
        assert [m["key"] for m in body.json()["results"]] == expected


@pytest.mark.parametrize("as_of", [None, D(2026, 1, 1), D(2001, 7, 15)])
def test_listed_statuses_are_what_the_status_rule_in_sql_says(
    client, synthetic, make_measure, as_of
):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    make_measure(key="scheduled-entry", effective_on=today - day,
                 events=[(today - day, "effective", True)])  # fmt: skip
    make_measure(key="scheduled-reinstatement", effective_on=today - 9 * day,
                 events=[(today - 5 * day, "suspended"), (today - day, "reinstated", True)])  # fmt: skip
    make_measure(key="suspended", effective_on=today - 9 * day,
                 events=[(today - 5 * day, "suspended", True)])  # fmt: skip
    make_measure(key="month-known", effective_on=D(2026, 1, 1), effective_on_precision="month")
    make_measure(key="year-known", effective_on=D(2001, 1, 1), effective_on_precision="year",
                 events=[(D(2001, 7, 1), "suspended")])  # fmt: skip
    listed = []
    page = 1
    while True:
        params = {"page_size": 500, "page": page} | ({"as_of": as_of} if as_of else {})
        body = client.get("/api/v1/measures/", params).json()
        listed += body["results"]
        if not body["next"]:
            break
        page += 1
    expected = {
        m.key: (m.status, m.status_confirmed, m.status_certain)
        for m in Measure.objects.with_status(as_of or today)
    }
    shown = {m["key"]: (m["status"], m["status_confirmed"], m["status_certain"]) for m in listed}
    assert shown == expected
    if as_of is None:
        assert expected["scheduled-reinstatement"] == ("in_force", False, True)
    else:
        assert not (expected["month-known"][2] and expected["year-known"][2])


@pytest.mark.parametrize("slug", ["rare-earth-elements", "gallium-oxide", "processed-materials"])
def test_a_materials_timeline_is_the_events_of_the_measures_it_matches(client, synthetic, slug):
    # Read off the events stored per matched material (``timeline.matches``).
    material = Material.objects.get(slug=slug)
    expected = list(
        MeasureEvent.objects.filter(measure__in=Measure.objects.matching_materials([material]))
        .order_by("date", "type", "id")
        .values_list("date", "type", "measure__key")[:500]
    )
    body = client.get(f"/api/v1/materials/{slug}/timeline/", {"page_size": 500}).json()
    assert (
        body["count"]
        == MeasureEvent.objects.filter(
            measure__in=Measure.objects.matching_materials([material])
        ).count()
    )
    got = [(D.fromisoformat(e["date"]), e["type"], e["measure"]["key"]) for e in body["results"]]
    assert got == expected
