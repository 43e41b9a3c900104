"""The status rule: what state a measure is in on a given day.

The rule lives here once, as a pure function over a measure's dates and its
suspension/reinstatement events; ``MeasureQuerySet.with_status`` says the same in SQL
and the tests hold the two together.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import models


class MeasureStatus(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    IN_FORCE = "in_force", "In force"
    SUSPENDED = "suspended", "Suspended"
    ENDED = "ended", "Ended"


SUSPENDED_EVENT = "suspended"
REINSTATED_EVENT = "reinstated"
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
