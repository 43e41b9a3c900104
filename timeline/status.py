"""The status rule: what state a measure is in on a given day, and whether that rests on
facts or on plans.

The rule lives here once, as pure functions over a measure's dates and its events;
``MeasureQuerySet.with_status`` says the same in SQL and the tests hold the two together.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable

from django.db import models

from .precision import period_holds


class MeasureStatus(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    IN_FORCE = "in_force", "In force"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended"


SUSPENDED_EVENT = "suspended"
REINSTATED_EVENT = "reinstated"
EFFECTIVE_EVENT = "effective"
ENDED_EVENT = "ended"
# The event types the status rule reads.
SUSPENSION_EVENTS = (SUSPENDED_EVENT, REINSTATED_EVENT)


def latest_suspension_event(
    events: Iterable[tuple[datetime.date, str]], day: datetime.date
) -> str | None:
    """The type of the latest suspended/reinstated event on or before ``day``.

    On a tie the reinstatement wins, so a same-day suspend-and-reinstate leaves the
    measure in force (the cautious reading for an exporter).
    """
    relevant = [
        (date, type_) for date, type_ in events if type_ in SUSPENSION_EVENTS and date <= day
    ]
    if not relevant:
        return None
    # Sort key mirrors the SQL: date descending, then type ascending ("reinstated" < "suspended").
    relevant.sort(key=lambda item: (-item[0].toordinal(), item[1]))
    return relevant[0][1]


def status_on(
    day: datetime.date,
    *,
    announced_on: datetime.date | None,
    effective_on: datetime.date | None,
    ends_on: datetime.date | None,
    events: Iterable[tuple[datetime.date, str]] = (),
) -> MeasureStatus | None:
    """The measure's status on ``day``, or None when it had not been announced yet."""
    if ends_on is not None and ends_on <= day:
        return MeasureStatus.ENDED
    if effective_on is not None and effective_on <= day:
        if latest_suspension_event(events, day) == SUSPENDED_EVENT:
            return MeasureStatus.SUSPENDED
        return MeasureStatus.IN_FORCE
    if announced_on is None or announced_on <= day:
        return MeasureStatus.UPCOMING
    return None


def latest_suspension_is_scheduled(
    events: Iterable[tuple[datetime.date, str, bool]], day: datetime.date
) -> bool:
    """Whether the latest suspended/reinstated event on or before ``day`` (as
    ``latest_suspension_event`` picks it) is scheduled; on a full tie a confirmed event wins."""
    relevant = [
        (date, type_, scheduled)
        for date, type_, scheduled in events
        if type_ in SUSPENSION_EVENTS and date <= day
    ]
    if not relevant:
        return False
    # Date descending, type ascending, as latest_suspension_event; then confirmed (False)
    # first: a confirmed event of the same day and type makes the scheduled one a fact.
    relevant.sort(key=lambda item: (-item[0].toordinal(), item[1], item[2]))
    return relevant[0][2]


def date_is_scheduled(
    events: Iterable[tuple[datetime.date, str, bool]], date: datetime.date | None, type_: str
) -> bool:
    """Whether a measure's date (its entry into force, its end) is only a plan: an event of
    that type on that day is recorded as scheduled and none of that type and day is confirmed.
    The measure's dates carry no flag of their own; the recorded event on the same day does."""
    if date is None:
        return False
    flags = {scheduled for day, kind, scheduled in events if day == date and kind == type_}
    return flags == {True}


def status_confirmed(
    day: datetime.date,
    *,
    announced_on: datetime.date | None,
    effective_on: datetime.date | None,
    ends_on: datetime.date | None,
    events: Iterable[tuple[datetime.date, str, bool]] = (),
) -> bool:
    """False when the status on ``day`` rests on a scheduled event, dated on or before ``day``,
    that no source confirms (``events`` are (date, type, scheduled)):

    - ended: the end (``ends_on``) is scheduled;
    - suspended: the latest suspension on or before ``day`` is scheduled;
    - in force: the entry into force (``effective_on``) is scheduled, or the latest
      suspended/reinstated event on or before ``day`` is a scheduled reinstatement;
    - upcoming, or not announced yet: always confirmed (nothing planned has passed).
    """
    events = list(events)
    status = status_on(
        day,
        announced_on=announced_on,
        effective_on=effective_on,
        ends_on=ends_on,
        events=[(date, type_) for date, type_, _ in events],
    )
    if status == MeasureStatus.ENDED:
        return not date_is_scheduled(events, ends_on, ENDED_EVENT)
    if status == MeasureStatus.SUSPENDED:
        return not latest_suspension_is_scheduled(events, day)
    if status == MeasureStatus.IN_FORCE:
        reinstated_unconfirmed = latest_suspension_event(
            [(date, type_) for date, type_, _ in events], day
        ) == REINSTATED_EVENT and latest_suspension_is_scheduled(events, day)
        return not (
            date_is_scheduled(events, effective_on, EFFECTIVE_EVENT) or reinstated_unconfirmed
        )
    return True


@dataclasses.dataclass(frozen=True)
class StatusPeriod:
    """Days ``start`` (inclusive) to ``end`` (exclusive; None: open-ended) over which a
    measure's status is ``status`` and whether it is confirmed stays ``confirmed``. A ``start``
    of None means since before any date the measure names (no announcement date)."""

    start: datetime.date | None
    end: datetime.date | None
    status: MeasureStatus
    confirmed: bool


def status_periods(
    *,
    announced_on: datetime.date | None,
    effective_on: datetime.date | None,
    ends_on: datetime.date | None,
    events: Iterable[tuple[datetime.date, str, bool]] = (),
) -> list[StatusPeriod]:
    """A measure's whole life as consecutive periods of one status each, oldest first, from
    ``status_on`` and ``status_confirmed`` read on each day where either can change: the
    measure's dates and its suspended/reinstated events (``events`` are (date, type,
    scheduled)). Days before the announcement (no status) are in no period."""
    events = list(events)
    dates = {announced_on, effective_on, ends_on}
    dates |= {date for date, type_, _ in events if type_ in SUSPENSION_EVENTS}
    changes = sorted(date for date in dates if date is not None)
    fields = {"announced_on": announced_on, "effective_on": effective_on, "ends_on": ends_on}
    periods: list[StatusPeriod] = []
    starts: list[datetime.date | None] = [None, *changes]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else None
        if start is None and not changes:
            day = datetime.date.today()  # no date at all: the status is the same every day
        elif start is None:
            if changes[0] == datetime.date.min:
                continue
            day = changes[0] - datetime.timedelta(days=1)
        else:
            day = start
        status = status_on(day, **fields, events=[(d, t) for d, t, _ in events])
        if status is None:
            continue
        confirmed = status_confirmed(day, **fields, events=events)
        if periods and (periods[-1].status, periods[-1].confirmed) == (status, confirmed):
            periods[-1] = dataclasses.replace(periods[-1], end=end)
        else:
            periods.append(StatusPeriod(start, end, status, confirmed))
    return periods


def in_force_periods(
    *,
    effective_on: datetime.date | None,
    ends_on: datetime.date | None,
    events: Iterable[tuple[datetime.date, str]] = (),
) -> list[tuple[datetime.date, datetime.date | None]]:
    """The days on which ``status_on`` says in force, as ``(first day, first day after)``
    periods in order, the last open (None) when nothing ends it; ``events`` as for
    ``status_on``. The status only changes on the entry into force, the end and the days of
    suspension events, so ``status_on`` is asked on those days and the answer holds until the
    next one."""
    if effective_on is None:
        return []
    events = list(events)
    turns = {effective_on, *(day for day, type_ in events if type_ in SUSPENSION_EVENTS)}
    if ends_on is not None:
        turns.add(ends_on)
    periods: list[tuple[datetime.date, datetime.date | None]] = []
    start: datetime.date | None = None
    for day in sorted(turn for turn in turns if turn >= effective_on):
        in_force = (
            status_on(
                day, announced_on=None, effective_on=effective_on, ends_on=ends_on, events=events
            )
            == MeasureStatus.IN_FORCE
        )
        if in_force and start is None:
            start = day
        elif not in_force and start is not None:
            periods.append((start, day))
            start = None
    if start is not None:
        periods.append((start, None))
    return periods


def status_certain(
    day: datetime.date,
    *,
    announced_on: tuple[datetime.date | None, str] = (None, "day"),
    effective_on: tuple[datetime.date | None, str] = (None, "day"),
    ends_on: tuple[datetime.date | None, str] = (None, "day"),
    events: Iterable[tuple[datetime.date, str, str]] = (),
) -> bool:
    """False when ``day`` lies inside the period of a date known only to the month or the
    year that the rule reads: the measure's announcement, entry into force or end, or a
    suspended/reinstated event (``events`` are (date, type, precision); the dates are
    (date, precision)).

    The rule itself (``status_on``) takes such a date as the first day of its period: a
    measure "in force from March 2025" is in force from 1 March, the earliest day the source
    allows. Inside that month the answer could depend on the day the source did not give, so
    it is flagged; before and after the period it is as certain as the other dates. The flag
    is cautious: it can be false where every day of the period would give the same status.
    """
    periods = [announced_on, effective_on, ends_on]
    periods += [
        (date, precision) for date, type_, precision in events if type_ in SUSPENSION_EVENTS
    ]
    return not any(period_holds(date, precision, day) for date, precision in periods)
