"""From the change log to deliveries.

1. Inside every writing transaction, ``changes_recorded`` enqueues ``dispatch_changes``: the
   job is a row of the task queue's table in the same database, so a rolled-back write leaves
   no job, and a committed one is kept until a worker runs it (none is lost while the worker
   is down; it catches up).
2. ``dispatch_changes`` (in a worker) follows the change log past ``DispatchState.position``,
   holding that row's lock, so two workers never match one change twice: for each change and
   each active subscription that wants it, one ``Delivery`` (unique per subscription and
   change) and one ``deliver`` job, written in the same transaction as the new position.
3. ``deliver`` posts it (``tasks``).

Which subscriptions want a change: its kind is among the subscription's ``kinds``, it came
after the subscription was registered, and, for a measure when the filter is not empty, the
measure matches the filter as it reads when dispatched; a deletion goes to a filtered
subscription that was told about that measure before (the measure is gone, so it cannot be
matched). Other kinds are not measures: the filter does not apply to them.
"""

from __future__ import annotations

from django.db import transaction

from changelog.cursor import changes_after
from changelog.filters import filtered_measures
from changelog.models import Action, Change, Kind
from changelog.recording import changes_recorded

from .models import Delivery, DispatchState, Subscription

BATCH = 500


def wanted(subscriptions: list[Subscription], changes: list[Change]) -> list[Delivery]:
    """The deliveries ``changes`` make for ``subscriptions`` (see the module's docstring)."""
    measure_ids = [c.object_id for c in changes if c.kind == Kind.MEASURE]
    deliveries = []
    for subscription in subscriptions:
        matching = None
        told = None
        if subscription.filter and measure_ids:
            matching = set(
                filtered_measures(subscription.filter)
                .filter(pk__in=measure_ids)
                .values_list("pk", flat=True)
            )
            told = set(
                Delivery.objects.filter(
                    subscription=subscription,
                    change__kind=Kind.MEASURE,
                    change__object_id__in=measure_ids,
                ).values_list("change__object_id", flat=True)
            )
        for change in changes:
            if (
                change.kind not in subscription.kinds
                or change.position <= subscription.starts_after
            ):
                continue
            if change.kind == Kind.MEASURE and matching is not None:
                known = told if change.action == Action.DELETED else matching
                if change.object_id not in known:
                    continue
                told.add(change.object_id)
            deliveries.append(Delivery(subscription=subscription, change=change))
    return deliveries


def dispatch_batch() -> int:
    """Match the next batch of changes; returns how many changes it covered (0: caught up)."""
    from .tasks import deliver

    with transaction.atomic():
        state = DispatchState.objects.select_for_update().get(pk=1)
        changes = list(changes_after(state.position)[:BATCH])
        if not changes:
            return 0
        subscriptions = list(Subscription.objects.filter(is_active=True))
        deliveries = Delivery.objects.bulk_create(wanted(subscriptions, changes))
        for delivery in deliveries:
            deliver.enqueue(delivery.pk)
        state.position = changes[-1].position
        state.save(update_fields=["position"])
    return len(changes)


def _enqueue_dispatch(sender, changes, **kwargs) -> None:
    from .tasks import dispatch_changes

    dispatch_changes.enqueue()


def connect_signals() -> None:
    changes_recorded.connect(_enqueue_dispatch, dispatch_uid="webhooks-enqueue-dispatch")
