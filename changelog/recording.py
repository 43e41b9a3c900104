"""Writing the change log: one row per history version of a measure, material, authority,
jurisdiction or sector, in the transaction that writes the version.

Every write path of those records writes a history version (``timeline.services`` for
measures, and django-simple-history's own signals for the admin, the API and the loader), so
hooking the versions reaches all of them: simple-history's ``post_create_historical_record``
for versions written one at a time, and ``timeline.history.versions_recorded`` for the
versions a bulk load writes together. ``changes_recorded`` then tells other apps (webhooks)
about the new rows, still inside the transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal
from simple_history.signals import post_create_historical_record

from timeline.history import versions_recorded
from timeline.models import Authority, Jurisdiction, Material, Measure, Sector

from .cursor import claim_positions
from .models import Action, Change, Kind

# Sent inside the writing transaction with ``changes``: the Change rows just written.
changes_recorded = Signal()

# model: (kind, field holding its natural key)
TRACKED = {
    Measure: (Kind.MEASURE, "key"),
    Material: (Kind.MATERIAL, "slug"),
    Authority: (Kind.AUTHORITY, "slug"),
    Jurisdiction: (Kind.JURISDICTION, "code"),
    Sector: (Kind.SECTOR, "slug"),
}
ACTIONS = {"+": Action.CREATED, "~": Action.UPDATED, "-": Action.DELETED}


def record_changes(model: type, versions: list) -> list[Change]:
    """Write one change per history version of ``model`` records (``versions``)."""
    if model not in TRACKED or not versions:
        return []
    kind, key_field = TRACKED[model]
    with transaction.atomic():
        positions = claim_positions(len(versions))
        changes = Change.objects.bulk_create(
            Change(
                position=position,
                kind=kind,
                key=getattr(version, key_field),
                object_id=version.id,
                action=ACTIONS[version.history_type],
                version=version.history_id,
                changed_at=version.history_date,
            )
            for position, version in zip(positions, versions, strict=True)
        )
        changes_recorded.send(sender=Change, changes=changes)
    return changes


def _one_version(sender, instance, history_instance, **kwargs) -> None:
    record_changes(type(instance), [history_instance])


def _many_versions(sender, versions, **kwargs) -> None:
    record_changes(sender, versions)


def connect_signals() -> None:
    post_create_historical_record.connect(_one_version, dispatch_uid="changelog-one-version")
    versions_recorded.connect(_many_versions, dispatch_uid="changelog-many-versions")
