"""Records that measures use cannot be deleted: a measure would lose part of what it says
without a version in its history, and its older versions could no longer be restored.

Issuing jurisdictions and materials are protected by their foreign keys (PROTECT). Authorities,
sectors and target jurisdictions are many-to-many links, which Django deletes with the record
silently; a ``pre_delete`` check refuses those deletes with the same ``ProtectedError``, so
the API answers 409 and the admin lists what is in the way, as for the others."""

from __future__ import annotations

from django.db.models import Model, ProtectedError
from django.db.models.signals import pre_delete

# Model label -> the Measure fields that link to it many-to-many.
LINKS = {
    "timeline.authority": ("authorities",),
    "timeline.sector": ("sectors",),
    "timeline.jurisdiction": ("target_jurisdictions",),
}


def measures_using(instance: Model) -> list:
    """The measures that link to ``instance`` many-to-many, by key (empty for other models)."""
    from .models import Measure

    fields = LINKS.get(instance._meta.label_lower, ())
    if not fields:
        return []
    using = Measure.objects.none()
    for field in fields:
        using = using | Measure.objects.filter(**{field: instance})
    return list(using.distinct().order_by("key"))


def _refuse_delete_in_use(sender, instance, **kwargs) -> None:
    using = measures_using(instance)
    if using:
        raise ProtectedError(
            f"{instance} is used by {len(using)} measure(s); change those first.", set(using)
        )


def connect_signals() -> None:
    from django.apps import apps

    for label in LINKS:
        pre_delete.connect(
            _refuse_delete_in_use,
            sender=apps.get_model(label),
            dispatch_uid=f"protect-{label}",
        )
