import datetime

import pytest

from timeline.models import Measure
from timeline.status import MeasureStatus

pytestmark = pytest.mark.usefixtures("empty_timeline")

D = datetime.date
ANNOUNCED = D(2025, 10, 9)
EFFECTIVE = D(2025, 11, 8)
SUSPENDED = D(2025, 12, 1)
REINSTATED = D(2026, 3, 1)
ENDS = D(2026, 11, 10)
ONE_DAY = datetime.timedelta(days=1)


def status_both_ways(measure: Measure, day: datetime.date):
    """The model method, the SQL annotation and the stored in-force periods must agree;
    return their shared answer."""
    in_python = Measure.objects.prefetch_related("events").get(pk=measure.pk).status_on(day)
    in_sql = Measure.objects.with_status(day).get(pk=measure.pk).status
    assert in_python == in_sql, f"{day}: python says {in_python}, SQL says {in_sql}"
    by_periods = Measure.objects.in_force_on(day).filter(pk=measure.pk).exists()
    assert by_periods == (in_python == MeasureStatus.IN_FORCE), f"{day}: stored periods differ"
    return in_python


@pytest.fixture
def full_measure(make_measure):
    return make_measure(
        announced_on=ANNOUNCED,
        effective_on=EFFECTIVE,
        ends_on=ENDS,
        events=[(SUSPENDED, "suspended"), (REINSTATED, "reinstated")],
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (ANNOUNCED - ONE_DAY, None),
        (ANNOUNCED, MeasureStatus.UPCOMING),
        (EFFECTIVE - ONE_DAY, MeasureStatus.UPCOMING),
        (EFFECTIVE, MeasureStatus.IN_FORCE),
        (SUSPENDED - ONE_DAY, MeasureStatus.IN_FORCE),
        (SUSPENDED, MeasureStatus.SUSPENDED),
        (SUSPENDED + ONE_DAY, MeasureStatus.SUSPENDED),
        (REINSTATED - ONE_DAY, MeasureStatus.SUSPENDED),
        (REINSTATED, MeasureStatus.IN_FORCE),
        (REINSTATED + ONE_DAY, MeasureStatus.IN_FORCE),
        (ENDS - ONE_DAY, MeasureStatus.IN_FORCE),
        (ENDS, MeasureStatus.ENDED),
        (ENDS + ONE_DAY, MeasureStatus.ENDED),
    ],
)
def test_status_at_each_boundary(full_measure, day, expected):
    assert status_both_ways(full_measure, day) == expected


def test_events_recorded_out_of_order_give_the_same_status(make_measure):
    measure = make_measure(
        effective_on=D(2024, 1, 1),
        events=[
            (D(2025, 6, 1), "reinstated"),
            (D(2025, 1, 1), "suspended"),
            (D(2025, 9, 1), "suspended"),
        ],
    )
    assert status_both_ways(measure, D(2025, 3, 1)) == MeasureStatus.SUSPENDED
    assert status_both_ways(measure, D(2025, 7, 1)) == MeasureStatus.IN_FORCE
    assert status_both_ways(measure, D(2025, 10, 1)) == MeasureStatus.SUSPENDED


def test_suspension_before_entry_into_force_keeps_it_suspended_from_that_day(make_measure):
    # The October 2025 controls were suspended the day before they were due to apply.
    measure = make_measure(
        announced_on=D(2025, 10, 9),
        effective_on=D(2025, 11, 8),
        events=[(D(2025, 11, 7), "suspended"), (D(2026, 11, 10), "reinstated")],
    )
    assert status_both_ways(measure, D(2025, 11, 7)) == MeasureStatus.UPCOMING
    assert status_both_ways(measure, D(2025, 11, 8)) == MeasureStatus.SUSPENDED
    assert status_both_ways(measure, D(2026, 11, 10)) == MeasureStatus.IN_FORCE


def test_same_day_suspension_and_reinstatement_leaves_it_in_force(make_measure):
    measure = make_measure(
        effective_on=D(2024, 1, 1),
        events=[(D(2025, 1, 1), "suspended"), (D(2025, 1, 1), "reinstated")],
    )
    assert status_both_ways(measure, D(2025, 1, 1)) == MeasureStatus.IN_FORCE


def test_measure_without_any_dates_is_upcoming(make_measure):
    assert status_both_ways(make_measure(), D(2000, 1, 1)) == MeasureStatus.UPCOMING


def test_ended_wins_over_suspension(make_measure):
    measure = make_measure(
        effective_on=D(2024, 1, 1), ends_on=D(2025, 1, 1), events=[(D(2024, 6, 1), "suspended")]
    )
    assert status_both_ways(measure, D(2025, 1, 1)) == MeasureStatus.ENDED


def test_ends_on_without_effective_on_ends_it(make_measure):
    measure = make_measure(announced_on=D(2024, 1, 1), ends_on=D(2025, 1, 1))
    assert status_both_ways(measure, D(2024, 12, 31)) == MeasureStatus.UPCOMING
    assert status_both_ways(measure, D(2025, 1, 1)) == MeasureStatus.ENDED


@pytest.mark.parametrize("status", list(MeasureStatus))
def test_filter_by_status_agrees_with_annotation(full_measure, make_measure, status):
    make_measure(effective_on=D(2020, 1, 1))
    make_measure(announced_on=D(2030, 1, 1))
    for day in [ANNOUNCED - ONE_DAY, ANNOUNCED, EFFECTIVE, SUSPENDED, REINSTATED, ENDS]:
        filtered = set(Measure.objects.with_status_in(day, [status]).values_list("pk", flat=True))
        annotated = {m.pk for m in Measure.objects.with_status(day) if m.status == status}
        assert filtered == annotated


def test_in_force_on_is_one_query(full_measure, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert list(Measure.objects.in_force_on(EFFECTIVE)) == [full_measure]


def confirmed_both_ways(measure: Measure, day: datetime.date) -> bool:
    """``status_confirmed`` in Python and in SQL must agree; return their shared answer."""
    in_python = (
        Measure.objects.prefetch_related("events").get(pk=measure.pk).status_confirmed_on(day)
    )
    in_sql = Measure.objects.with_status(day).get(pk=measure.pk).status_confirmed
    assert in_python == in_sql, f"{day}: python says {in_python}, SQL says {in_sql}"
    return in_python


SCHEDULED_END = D(2026, 11, 10)


@pytest.fixture
def suspended_until_a_scheduled_end(make_measure):
    """The October 2025 controls: suspended the day before their date set for entry into force
    (itself only scheduled), with the suspension's announced end not confirmed."""
    return make_measure(
        announced_on=ANNOUNCED,
        effective_on=EFFECTIVE,
        events=[
            (EFFECTIVE - ONE_DAY, "suspended"),
            (EFFECTIVE, "effective", True),
            (SCHEDULED_END, "reinstated", True),
        ],
    )


@pytest.mark.parametrize(
    ("day", "status", "confirmed"),
    [
        (ANNOUNCED, MeasureStatus.UPCOMING, True),
        (EFFECTIVE - ONE_DAY, MeasureStatus.UPCOMING, True),
        # Suspended rests on the suspension, a fact, whatever the planned entry into force.
        (EFFECTIVE, MeasureStatus.SUSPENDED, True),
        (SCHEDULED_END - ONE_DAY, MeasureStatus.SUSPENDED, True),
        # From the announced end on, "in force" rests on a plan nobody confirmed.
        (SCHEDULED_END, MeasureStatus.IN_FORCE, False),
        (SCHEDULED_END + ONE_DAY, MeasureStatus.IN_FORCE, False),
    ],
)
def test_status_is_unconfirmed_once_a_scheduled_reinstatement_has_passed(
    suspended_until_a_scheduled_end, day, status, confirmed
):
    assert status_both_ways(suspended_until_a_scheduled_end, day) == status
    assert confirmed_both_ways(suspended_until_a_scheduled_end, day) is confirmed


@pytest.mark.parametrize(
    ("events", "day", "status", "confirmed"),
    [
        # A scheduled end, recorded on ends_on, makes "ended" a plan from that day.
        ([(ENDS, "ended", True)], ENDS - ONE_DAY, MeasureStatus.IN_FORCE, True),
        ([(ENDS, "ended", True)], ENDS, MeasureStatus.ENDED, False),
        # ... unless an event of the same type and day confirms it.
        ([(ENDS, "ended", True), (ENDS, "ended")], ENDS, MeasureStatus.ENDED, True),
        # A scheduled end on another day than ends_on is not what the status reads.
        ([(ENDS - ONE_DAY, "ended", True)], ENDS, MeasureStatus.ENDED, True),
        # A scheduled entry into force, recorded on effective_on.
        ([(EFFECTIVE, "effective", True)], EFFECTIVE - ONE_DAY, MeasureStatus.UPCOMING, True),
        ([(EFFECTIVE, "effective", True)], EFFECTIVE, MeasureStatus.IN_FORCE, False),
        ([(EFFECTIVE, "effective")], EFFECTIVE, MeasureStatus.IN_FORCE, True),
        # A scheduled suspension.
        ([(SUSPENDED, "suspended", True)], SUSPENDED - ONE_DAY, MeasureStatus.IN_FORCE, True),
        ([(SUSPENDED, "suspended", True)], SUSPENDED, MeasureStatus.SUSPENDED, False),
        # A confirmed suspension on the day of a scheduled one wins the tie.
        (
            [(SUSPENDED, "suspended", True), (SUSPENDED, "suspended")],
            SUSPENDED,
            MeasureStatus.SUSPENDED,
            True,
        ),
        # A scheduled reinstatement, then a confirmed suspension: it rests on the suspension.
        (
            [(SUSPENDED, "reinstated", True), (REINSTATED, "suspended")],
            REINSTATED,
            MeasureStatus.SUSPENDED,
            True,
        ),
        # A scheduled reinstatement on the day of a confirmed suspension: the reinstatement
        # wins the tie, and it is only a plan.
        (
            [(SUSPENDED, "suspended"), (SUSPENDED, "reinstated", True)],
            SUSPENDED,
            MeasureStatus.IN_FORCE,
            False,
        ),
        # Scheduled events the status does not read change nothing.
        ([(SUSPENDED, "amended", True)], SUSPENDED, MeasureStatus.IN_FORCE, True),
        # A plan dated after the day has not passed yet.
        ([(SUSPENDED, "suspended", True)], SUSPENDED - ONE_DAY, MeasureStatus.IN_FORCE, True),
    ],
)
def test_status_confirmed_at_each_boundary(make_measure, events, day, status, confirmed):
    measure = make_measure(
        announced_on=ANNOUNCED, effective_on=EFFECTIVE, ends_on=ENDS, events=events
    )
    assert status_both_ways(measure, day) == status
    assert confirmed_both_ways(measure, day) is confirmed


def test_a_measure_not_announced_yet_has_a_confirmed_status(make_measure):
    measure = make_measure(announced_on=ANNOUNCED, events=[(ANNOUNCED, "announced", True)])
    assert status_both_ways(measure, ANNOUNCED - ONE_DAY) is None
    assert confirmed_both_ways(measure, ANNOUNCED - ONE_DAY) is True


def test_needing_review_lists_measures_with_a_passed_scheduled_event_oldest_first(make_measure):
    later = make_measure(events=[(ENDS, "ended", True)])
    earlier = make_measure(events=[(SUSPENDED, "suspended", True), (ENDS, "ended", True)])
    make_measure(events=[(ENDS + ONE_DAY, "reinstated", True)])  # not passed yet
    make_measure(events=[(SUSPENDED, "suspended")])  # a fact
    review = Measure.objects.needing_review(ENDS).order_by("oldest_scheduled_on")
    assert [(m, m.oldest_scheduled_on) for m in review] == [(earlier, SUSPENDED), (later, ENDS)]
