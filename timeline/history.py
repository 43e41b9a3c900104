"""Audit history of measures, nested parts included.

django-simple-history keeps one row per version of a measure. A measure's nested parts live in
other tables, so each version also stores a ``parts`` snapshot (natural keys only, the API's
words) taken after the whole write, which is why ``save_measure`` and the admin record the
version themselves once everything is saved.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

PART_NAMES = (
    "authorities",
    "target_jurisdictions",
    "sectors",
    "materials",
    "events",
    "related",
    "sources",
)
FIELD_NAMES = (
    "key",
    "title",
    "reference",
    "jurisdiction",
    "measure_type",
    "summary",
    "announced_on",
    "effective_on",
    "ends_on",
    "confidence",
    "notes",
)


class MeasureVersionBase(models.Model):
    parts = models.JSONField(
        default=dict, help_text="The nested lists as they were, by natural keys."
    )

    class Meta:
        abstract = True


measure_history = HistoricalRecords(
    bases=[MeasureVersionBase],
    excluded_fields=["created_at", "updated_at", "has_suspension_events"],
)


def measure_parts(measure) -> dict[str, list]:
    """The nested lists of a saved measure, read from the database."""
    return {
        "jurisdiction": measure.jurisdiction.code,
        "authorities": sorted(measure.authorities.values_list("slug", flat=True)),
        "target_jurisdictions": sorted(measure.target_jurisdictions.values_list("code", flat=True)),
        "sectors": sorted(measure.sectors.values_list("slug", flat=True)),
        "materials": [
            {"material": slug, "scope": scope}
            for slug, scope in measure.material_links.order_by("material__slug").values_list(
                "material__slug", "scope"
            )
        ],
        "events": [
            {"date": date.isoformat(), "type": type_, "note": note, "source_url": url}
            for date, type_, note, url in measure.events.filter(derived=False)
            .order_by("date", "type", "id")
            .values_list("date", "type", "note", "source_url")
        ],
        "related": [
            {"measure": key, "relation": relation}
            for key, relation in measure.relations.order_by(
                "to_measure__key", "relation"
            ).values_list("to_measure__key", "relation")
        ],
        "sources": [
            {
                "url": url,
                "title": title,
                "publisher": publisher,
                "published_on": published_on.isoformat() if published_on else None,
            }
            for url, title, publisher, published_on in measure.sources.order_by("id").values_list(
                "url", "title", "publisher", "published_on"
            )
        ],
    }


def record_version(measure, *, created: bool, reason: str | None = None) -> None:
    """Write one version of ``measure`` once it and its nested parts are saved."""
    if reason:
        measure._change_reason = reason
    measure_history.create_historical_record(measure, "+" if created else "~")


def deleted_parts(measure) -> dict[str, Any]:
    """The snapshot a "deleted" version keeps: the nested lists, and what only recreating the
    measure needs, its ``created_at`` and the relations other measures held to it
    (``referred_by``), so a restore gives those back."""
    return {
        **measure_parts(measure),
        "created_at": measure.created_at.isoformat(),
        "referred_by": [
            {"measure": key, "relation": relation}
            for key, relation in measure.inbound_relations.order_by(
                "from_measure__key", "relation"
            ).values_list("from_measure__key", "relation")
        ],
    }


@receiver(pre_delete, sender="timeline.Measure")
def _remember_parts_before_delete(sender, instance, **kwargs):
    # The cascade removes the nested rows before the "deleted" version is written.
    # services.delete_measure takes the snapshot itself, before it removes inbound relations.
    if not hasattr(instance, "_parts_before_delete"):
        instance._parts_before_delete = deleted_parts(instance)


@receiver(pre_create_historical_record)
def _snapshot_parts(sender, instance, history_instance, **kwargs):
    if isinstance(history_instance, MeasureVersionBase):
        history_instance.parts = getattr(instance, "_parts_before_delete", None) or measure_parts(
            instance
        )


def version_snapshot(version) -> dict[str, Any]:
    """A version as the API's words: fields by name, relations by natural key."""
    snapshot = {name: getattr(version, name) for name in FIELD_NAMES if name != "jurisdiction"}
    snapshot["jurisdiction"] = version.parts.get("jurisdiction")
    for name in ("announced_on", "effective_on", "ends_on"):
        snapshot[name] = snapshot[name].isoformat() if snapshot[name] else None
    snapshot.update({name: version.parts.get(name, []) for name in PART_NAMES})
    return snapshot


def changed_fields(older: dict | None, newer: dict) -> dict[str, dict]:
    if older is None:
        return {}
    return {
        name: {"old": older.get(name), "new": value}
        for name, value in newer.items()
        if older.get(name) != value
    }
