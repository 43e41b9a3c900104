"""A measure's life as periods of one status: the pictures draw them, so every day inside a
period must have that period's status and confirmation by the status rule itself."""

import datetime

import pytest

from timeline.models import Measure
from timeline.status import MeasureStatus, StatusPeriod, status_periods

D = datetime.date


def days_around(measure: Measure):
    dates = [d for d in (measure.announced_on, measure.effective_on, measure.ends_on) if d]
    dates += [event.date for event in measure.events.all()]
    day, last = min(dates) - datetime.timedelta(days=3), max(dates) + datetime.timedelta(days=3)
    while day <= last:
        yield day
        day += datetime.timedelta(days=1)


def period_on(periods: list[StatusPeriod], day: datetime.date) -> StatusPeriod | None:
    for period in periods:
        if (period.start is None or period.start <= day) and (
            period.end is None or day < period.end
        ):
            return period
    return None


@pytest.mark.django_db
def test_every_day_of_every_demo_measure_lies_in_the_period_of_its_status(demo_data):
    for measure in Measure.objects.prefetch_related("events"):
        periods = measure.status_periods()
        for day in days_around(measure):
            period = period_on(periods, day)
            status = measure.status_on(day)
            assert (period and period.status) == status, (measure.key, day)
            if period:
                assert period.confirmed == measure.status_confirmed_on(day), (measure.key, day)


def test_a_suspended_measure_reads_upcoming_in_force_suspended_then_in_force_again():
    periods = status_periods(
        announced_on=D(2025, 1, 1),
        effective_on=D(2025, 2, 1),
        ends_on=None,
        events=[(D(2025, 3, 1), "suspended", False), (D(2025, 4, 1), "reinstated", True)],
    )
    assert periods == [
        StatusPeriod(D(2025, 1, 1), D(2025, 2, 1), MeasureStatus.UPCOMING, True),
        StatusPeriod(D(2025, 2, 1), D(2025, 3, 1), MeasureStatus.IN_FORCE, True),
        StatusPeriod(D(2025, 3, 1), D(2025, 4, 1), MeasureStatus.SUSPENDED, True),
        StatusPeriod(D(2025, 4, 1), None, MeasureStatus.IN_FORCE, False),
    ]


def test_a_measure_without_an_announcement_date_is_upcoming_from_the_start():
    periods = status_periods(announced_on=None, effective_on=D(2025, 2, 1), ends_on=D(2026, 1, 1))
    assert [(p.start, p.end, p.status) for p in periods] == [
        (None, D(2025, 2, 1), MeasureStatus.UPCOMING),
        (D(2025, 2, 1), D(2026, 1, 1), MeasureStatus.IN_FORCE),
        (D(2026, 1, 1), None, MeasureStatus.ENDED),
    ]


def test_a_measure_without_any_date_is_upcoming_all_along():
    assert status_periods(announced_on=None, effective_on=None, ends_on=None) == [
        StatusPeriod(None, None, MeasureStatus.UPCOMING, True)
    ]
