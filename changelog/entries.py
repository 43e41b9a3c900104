"""A change as the feed and the webhooks show it (one builder for both)."""

from __future__ import annotations

from collections.abc import Sequence

from timeline.history import version_snapshot
from timeline.models import Measure

from .cursor import encode
from .models import Action, Change, Kind


def change_entries(changes: Sequence[Change]) -> list[dict]:
    """``{cursor, kind, key, action, changed_at, version, measure}`` per change, in the order
    given; ``measure`` is the measure as the change left it (its history version) for a
    created or updated measure, and null otherwise (a deletion's tombstone, other kinds).
    One query for all the measures' versions."""
    wanted = [
        change.version
        for change in changes
        if change.kind == Kind.MEASURE and change.action != Action.DELETED
    ]
    versions = Measure.history.filter(history_id__in=wanted) if wanted else []
    snapshots = {version.history_id: version_snapshot(version) for version in versions}
    return [
        {
            "cursor": encode(change.position),
            "kind": change.kind,
            "key": change.key,
            "action": change.action,
            "changed_at": change.changed_at,
            "version": change.version,
            "measure": snapshots.get(change.version) if change.kind == Kind.MEASURE else None,
        }
        for change in changes
    ]
