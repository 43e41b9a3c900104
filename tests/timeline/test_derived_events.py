import datetime

import pytest

from timeline.models import Measure
from timeline.services import EventEntry, save_measure

pytestmark = pytest.mark.usefixtures("empty_timeline")

D = datetime.date


def timeline(measure):
    return list(measure.events.order_by("date", "type").values_list("date", "type", "derived"))


def test_dates_put_announcement_entry_into_force_and_end_on_the_timeline(make_measure):
    measure = make_measure(
        announced_on=D(2025, 1, 1), effective_on=D(2025, 2, 1), ends_on=D(2026, 1, 1)
    )
    assert timeline(measure) == [
        (D(2025, 1, 1), "announced", True),
        (D(2025, 2, 1), "effective", True),
        (D(2026, 1, 1), "ended", True),
    ]


def test_recorded_event_on_the_same_day_replaces_the_derived_one(make_measure):
    measure = make_measure(
        announced_on=D(2025, 1, 1),
        effective_on=D(2025, 2, 1),
        events=[(D(2025, 1, 1), "announced")],
    )
    assert timeline(measure) == [
        (D(2025, 1, 1), "announced", False),
        (D(2025, 2, 1), "effective", True),
    ]


def test_changing_a_date_moves_its_derived_event(make_measure):
    measure = make_measure(effective_on=D(2025, 2, 1))
    measure.effective_on = D(2025, 3, 1)
    save_measure(measure)
    assert timeline(measure) == [(D(2025, 3, 1), "effective", True)]


def test_saving_unchanged_measure_writes_nothing(make_measure, django_assert_max_num_queries):
    measure = make_measure(effective_on=D(2025, 2, 1), events=[(D(2025, 5, 1), "note")])
    stamp = measure.updated_at
    again = Measure.objects.get(pk=measure.pk)
    assert save_measure(again, events=[EventEntry(D(2025, 5, 1), "note")]) is False
    assert Measure.objects.get(pk=measure.pk).updated_at == stamp
