"""Running the queued jobs in the test's own process and transaction (the worker command
closes connections between jobs, which would end the test's transaction)."""

from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def run_jobs(limit: int = 1000) -> int:
    """Run every job that is due, oldest first, until none is; returns how many ran."""
    ran = 0
    while ran < limit:
        job = DBTaskResult.objects.ready().order_by("-priority", "enqueued_at").first()
        if job is None:
            return ran
        job.claim("test")
        result = job.task_result
        job.set_successful(job.task.call(*result.args, **result.kwargs))
        ran += 1
    raise AssertionError(f"still jobs due after {limit}")


def due_later() -> list[DBTaskResult]:
    now = timezone.now()
    return [job for job in DBTaskResult.objects.filter(status="READY") if job.run_after > now]


def make_due() -> None:
    """Bring every job waiting for a later time forward to now (a retry's backoff elapsed)."""
    from webhooks.models import Delivery

    Delivery.objects.filter(next_attempt_at__gt=timezone.now()).update(
        next_attempt_at=timezone.now()
    )
    for job in due_later():
        job.run_after = timezone.now()
        job.save(update_fields=["run_after"])
