"""What moves a measure's ``updated_at``: every write that changes how the measure is shown.

Clients sync with ``updated_since``, so a measure whose representation changed must have a new
``updated_at``, or they never fetch it again. The measure's own columns and nested lists are
written by ``services.save_measure``, which saves the row (``auto_now``). The rest of what a
measure shows lives in other rows, listed in ``SHOWN_IN_MEASURES``: its materials' slugs and
names, its authorities' slugs, its jurisdiction's and targets' codes, its sectors' slugs (in
the order of their names) and the keys of the measures it relates to. A change to one of those
is a change to every measure that shows it.

The rule is hooked as ``pre_save`` and ``pre_delete`` signals on those models rather than in
each caller, because the API, the admin and the loader each save them their own way and a
signal reaches all of them (and the next one). It stays bounded whatever the number of
measures: one read of the row's old values, then at most one UPDATE with a subquery. It runs
inside the write's transaction (the API, the admin and the loader write in one; a delete
always does), before the row itself changes, so a failed write can at worst move
``updated_at`` for nothing, never miss a change. ``QuerySet.update()`` sends no signals, so
it must not be used on these models' shown fields.

Once the row is saved (``post_save``), the stored representations of the measures that show
it are rewritten (``timeline.representation``); until then they are not used, their
``updated_at`` having moved. (A row measures show cannot be deleted: ``protection``.)
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Model, Q
from django.db.models.signals import post_save, pre_delete, pre_save
from django.utils import timezone

from .models import (
    Authority,
    Jurisdiction,
    Material,
    Measure,
    MeasureMaterial,
    MeasureRelation,
    Sector,
)
from .representation import store as representation


def _through(field: str, column: str, pk) -> Q:
    through = getattr(Measure, field).through.objects.filter(**{column: pk})
    return Q(pk__in=through.values("measure_id"))


# model: (the fields a measure shows of it, which measures show a given row)
SHOWN_IN_MEASURES: dict[type[Model], tuple[tuple[str, ...], Callable[[int], Q]]] = {
    Material: (
        ("slug", "name"),
        lambda pk: Q(pk__in=MeasureMaterial.objects.filter(material_id=pk).values("measure_id")),
    ),
    Authority: (("slug",), lambda pk: _through("authorities", "authority_id", pk)),
    Jurisdiction: (
        ("code",),
        lambda pk: Q(jurisdiction_id=pk) | _through("target_jurisdictions", "jurisdiction_id", pk),
    ),
    # The name orders a measure's sector slugs, so a new name can reorder them.
    Sector: (("slug", "name"), lambda pk: _through("sectors", "sector_id", pk)),
    # Measures that relate to this one show its key.
    Measure: (
        ("key",),
        lambda pk: Q(
            pk__in=MeasureRelation.objects.filter(to_measure_id=pk).values("from_measure_id")
        ),
    ),
}


def touch_measures(condition: Q) -> int:
    """Move ``updated_at`` to now for the measures matching ``condition``, in one UPDATE."""
    return Measure.objects.filter(condition).update(updated_at=timezone.now())


def _touch_if_shown_fields_change(sender, instance, raw=False, update_fields=None, **kwargs):
    fields, showing = SHOWN_IN_MEASURES[sender]
    if raw or instance._state.adding or instance.pk is None:
        return  # a new row is shown by no measure yet
    if update_fields is not None and not set(fields) & set(update_fields):
        return
    old = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    if old is not None and any(old[name] != getattr(instance, name) for name in fields):
        touch_measures(showing(instance.pk))
        instance._shown_fields_changed = True


def _refresh_after_save(sender, instance, raw=False, **kwargs):
    if instance.__dict__.pop("_shown_fields_changed", False):
        _, showing = SHOWN_IN_MEASURES[sender]
        representation.refresh(
            Measure.objects.filter(showing(instance.pk)).values_list("pk", flat=True)
        )


def _touch_before_delete(sender, instance, **kwargs):
    # Deleting a row removes it from the measures that list it (their many-to-many rows go with
    # it); rows a measure cannot lose are protected and never get here.
    _, showing = SHOWN_IN_MEASURES[sender]
    touch_measures(showing(instance.pk))


def connect_signals() -> None:
    for model in SHOWN_IN_MEASURES:
        pre_save.connect(
            _touch_if_shown_fields_change, sender=model, dispatch_uid=f"changes-save-{model}"
        )
        post_save.connect(_refresh_after_save, sender=model, dispatch_uid=f"changes-saved-{model}")
    for model in (Material, Authority, Jurisdiction, Sector):
        pre_delete.connect(_touch_before_delete, sender=model, dispatch_uid=f"changes-del-{model}")
