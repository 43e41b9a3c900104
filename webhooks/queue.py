"""The task queue's state, for readiness checks and metrics."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import DatabaseError
from django.db.models import Case, F, Min, When
from django.utils import timezone


@dataclass(frozen=True)
class QueueStatus:
    """``reachable``: the queue answered; ``depth``: jobs ready to run now (due and not
    started); ``oldest_age_seconds``: how long the oldest of them has been due (None when
    there is none); ``error``: why it is unreachable."""

    reachable: bool
    depth: int = 0
    oldest_age_seconds: float | None = None
    error: str = ""


def queue_status() -> QueueStatus:
    """Ask the task queue (django-tasks' database backend: the application's database) how
    many jobs wait and for how long; two cheap queries, never raises."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    # A job enqueued without a delay has the largest date as its run_after: due since enqueued.
    due_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    try:
        ready = DBTaskResult.objects.ready()
        depth = ready.count()
        oldest = ready.aggregate(oldest=Min(due_since))["oldest"] if depth else None
    except DatabaseError as error:
        return QueueStatus(False, error=f"{type(error).__name__}: {error}"[:500])
    age = None
    if oldest is not None:
        age = max((timezone.now() - oldest) / datetime.timedelta(seconds=1), 0.0)
    return QueueStatus(True, depth, age)
