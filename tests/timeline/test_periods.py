"""The stored in-force periods answer "in force on a day" from an index; they must say what the
status rule says, and every write path must keep them in step in its own transaction."""

import datetime
import random

import pytest
from django.db import transaction
from django.urls import reverse

from timeline.models import InForcePeriod, Material, Measure
from timeline.services import (
    EventEntry,
    MaterialLink,
    NewMeasure,
    create_measures,
    delete_measure,
    restore_version,
    save_measure,
)
from timeline.status import MeasureStatus, in_force_periods, status_on

D = datetime.date
ONE_DAY = datetime.timedelta(days=1)


def stored(measure: Measure) -> list[tuple]:
    return sorted(
        InForcePeriod.objects.filter(measure=measure).values_list(
            "material__slug", "starts_on", "ends_before"
        ),
        key=lambda row: (row[0] or "", row[1]),
    )


def in_force_by_rule(measure: Measure, day: datetime.date) -> bool:
    measure = Measure.objects.prefetch_related("events").get(pk=measure.pk)
    return measure.status_on(day) == MeasureStatus.IN_FORCE


@pytest.mark.parametrize("seed", range(40))
def test_periods_hold_exactly_the_days_the_status_rule_says_in_force(seed):
    rng = random.Random(seed)
    start = D(2020, 1, 1)

    def day() -> datetime.date:
        return start + datetime.timedelta(days=rng.randint(0, 60))

    effective = day() if rng.random() < 0.9 else None
    ends = (
        effective + datetime.timedelta(days=rng.randint(1, 40))
        if effective and rng.random() < 0.5
        else None
    )
    events = [(day(), rng.choice(["suspended", "reinstated"])) for _ in range(rng.randint(0, 5))]
    periods = in_force_periods(effective_on=effective, ends_on=ends, events=events)
    for offset in range(-1, 110):
        today = start + datetime.timedelta(days=offset)
        by_periods = any(s <= today and (e is None or today < e) for s, e in periods)
        rule = status_on(
            today, announced_on=None, effective_on=effective, ends_on=ends, events=events
        )
        assert by_periods == (rule == MeasureStatus.IN_FORCE), (today, effective, ends, events)


def test_periods_are_disjoint_and_in_order():
    periods = in_force_periods(
        effective_on=D(2024, 1, 1),
        ends_on=D(2026, 1, 1),
        events=[
            (D(2024, 6, 1), "suspended"),
            (D(2024, 9, 1), "reinstated"),
            (D(2025, 1, 1), "suspended"),
        ],
    )
    assert periods == [(D(2024, 1, 1), D(2024, 6, 1)), (D(2024, 9, 1), D(2025, 1, 1))]


@pytest.fixture
def gallium(demo_data) -> Material:
    return Material.objects.get(slug="gallium")


@pytest.fixture
def germanium(demo_data) -> Material:
    return Material.objects.get(slug="germanium")


def test_saving_a_measure_stores_a_period_per_listed_material(make_measure, gallium, germanium):
    measure = make_measure(
        effective_on=D(2024, 1, 1),
        events=[(D(2024, 6, 1), "suspended")],
        materials=[gallium, germanium],
    )
    assert stored(measure) == [
        ("gallium", D(2024, 1, 1), D(2024, 6, 1)),
        ("germanium", D(2024, 1, 1), D(2024, 6, 1)),
    ]


def test_a_measure_listing_no_material_still_has_its_periods(make_measure):
    measure = make_measure(effective_on=D(2024, 1, 1))
    assert stored(measure) == [(None, D(2024, 1, 1), None)]
    assert list(Measure.objects.in_force_on(D(2024, 1, 1)).filter(pk=measure.pk)) == [measure]


def test_changing_dates_events_and_materials_rewrites_the_periods(make_measure, gallium, germanium):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[gallium])
    measure.ends_on = D(2025, 1, 1)
    save_measure(
        measure,
        events=[EventEntry(D(2024, 3, 1), "suspended"), EventEntry(D(2024, 4, 1), "reinstated")],
        materials=[MaterialLink(germanium)],
    )
    assert stored(measure) == [
        ("germanium", D(2024, 1, 1), D(2024, 3, 1)),
        ("germanium", D(2024, 4, 1), D(2025, 1, 1)),
    ]
    on = D(2024, 3, 15)
    assert not Measure.objects.in_force_on_listing(on, [germanium]).filter(pk=measure.pk).exists()
    assert not in_force_by_rule(measure, on)


def test_a_failed_write_leaves_the_periods_as_they_were(make_measure, gallium):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[gallium])
    before = stored(measure)
    with pytest.raises(RuntimeError), transaction.atomic():
        measure.effective_on = D(2023, 1, 1)
        save_measure(measure)
        raise RuntimeError("the write fails after the measure was saved")
    assert stored(measure) == before


def test_deleting_a_measure_deletes_its_periods(make_measure, gallium):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[gallium])
    pk = measure.pk
    delete_measure(measure)
    assert not InForcePeriod.objects.filter(measure_id=pk).exists()


def test_restoring_a_version_restores_its_periods(make_measure, gallium):
    measure = make_measure(effective_on=D(2024, 1, 1), materials=[gallium])
    first = stored(measure)
    version = measure.history.order_by("history_id").last()
    measure.ends_on = D(2024, 2, 1)
    save_measure(measure)
    assert stored(measure) != first
    restore_version(version)
    assert stored(measure) == first
    key = measure.key
    delete_measure(measure)
    recreated = restore_version(version)
    assert Measure.objects.get(key=key) == recreated
    assert stored(recreated) == first


def test_measures_created_in_bulk_get_the_periods_save_measure_writes(make_measure, gallium):
    one = make_measure(
        effective_on=D(2024, 1, 1), events=[(D(2024, 5, 1), "suspended")], materials=[gallium]
    )
    many = Measure(
        key="test-in-bulk",
        title="A measure",
        jurisdiction=one.jurisdiction,
        measure_type=one.measure_type,
        effective_on=D(2024, 1, 1),
    )
    new = NewMeasure(
        many,
        materials=[MaterialLink(gallium)],
        events=[EventEntry(D(2024, 5, 1), "suspended")],
    )
    new.validate()
    create_measures([new])
    assert stored(many) == stored(one)


def test_the_admin_keeps_the_periods_in_step(admin_client, demo_data):
    from tests.timeline.test_admin import measure_form

    response = admin_client.post(reverse("admin:timeline_measure_add"), measure_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    measure = Measure.objects.get(key="cn-test-2026-1")
    # In force from 2026-02-01, suspended from 2026-06-01 (the form's event).
    assert stored(measure) == [("gallium", D(2026, 2, 1), D(2026, 6, 1))]
