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
from django.dispatch import Signal, receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from .precision import PartialDate, partial_date_text

# Measures whose versions one round of queries writes (SQLite takes up to 32766 parameters).
BATCH = 1000
PART_NAMES = (
    "authorities",
    "target_jurisdictions",
    "sectors",
    "materials",
    "events",
    "related",
    "sources",
)
# Sent by ``record_versions`` with ``versions``, the versions a bulk write just recorded (one at
# a time, simple-history's ``post_create_historical_record`` says it), inside the transaction.
versions_recorded = Signal()

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
    "announced_on_precision",
    "effective_on_precision",
    "ends_on_precision",
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
    return measure_parts_many([measure.pk])[measure.pk]


def measure_parts_many(ids: list[int]) -> dict[int, dict[str, list]]:
    """The nested lists of saved measures, by id: one query per kind of part, so that a load
    of thousands of measures can snapshot them all at once."""
    from .models import Measure, MeasureEvent, MeasureMaterial, MeasureRelation, MeasureSource

    parts: dict[int, dict[str, list]] = {pk: {"jurisdiction": None} for pk in ids}
    for pk in ids:
        parts[pk].update({name: [] for name in PART_NAMES})
    for pk, code in Measure.objects.filter(pk__in=ids).values_list("pk", "jurisdiction__code"):
        parts[pk]["jurisdiction"] = code
    for name, related in (
        ("authorities", "authority__slug"),
        ("target_jurisdictions", "jurisdiction__code"),
        ("sectors", "sector__slug"),
    ):
        through = getattr(Measure, name).through.objects.filter(measure_id__in=ids)
        for pk, value in through.values_list("measure_id", related):
            parts[pk][name].append(value)
        for pk in ids:
            parts[pk][name].sort()
    links = MeasureMaterial.objects.filter(measure_id__in=ids).order_by("material__slug")
    for pk, slug, scope in links.values_list("measure_id", "material__slug", "scope"):
        parts[pk]["materials"].append({"material": slug, "scope": scope})
    events = MeasureEvent.objects.recorded().filter(measure_id__in=ids)
    for pk, date, precision, type_, note, url, scheduled in events.order_by(
        "date", "type", "id"
    ).values_list(
        "measure_id", "date", "date_precision", "type", "note", "source_url", "scheduled"
    ):
        parts[pk]["events"].append(
            {
                "date": partial_date_text(date, precision),
                "type": type_,
                "note": note,
                "source_url": url,
                "scheduled": scheduled,
            }
        )
    relations = MeasureRelation.objects.filter(from_measure_id__in=ids)
    for pk, key, relation in relations.order_by("to_measure__key", "relation").values_list(
        "from_measure_id", "to_measure__key", "relation"
    ):
        parts[pk]["related"].append({"measure": key, "relation": relation})
    sources = MeasureSource.objects.filter(measure_id__in=ids).order_by("id")
    for pk, url, title, publisher, published_on in sources.values_list(
        "measure_id", "url", "title", "publisher", "published_on"
    ):
        parts[pk]["sources"].append(
            {
                "url": url,
                "title": title,
                "publisher": publisher,
                "published_on": published_on.isoformat() if published_on else None,
            }
        )
    return parts


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


def record_versions(
    written: list[tuple[Any, bool]], *, reason: str | None = None, user=None
) -> None:
    """Write one version of each saved measure in ``written`` (measure, created?), as
    ``record_version`` does for one, in a few queries per thousand: how a load of a large
    file keeps its history without a snapshot query per part and measure."""
    from .models import Measure

    version = Measure.history.model
    recorded_at = timezone.now()
    for start in range(0, len(written), BATCH):
        batch = written[start : start + BATCH]
        parts = measure_parts_many([measure.pk for measure, _ in batch])
        versions = version.objects.bulk_create(
            version(
                history_date=recorded_at,
                history_user=user,
                history_change_reason=reason,
                history_type="+" if created else "~",
                parts=parts[measure.pk],
                **{
                    field.attname: getattr(measure, field.attname)
                    for field in version.tracked_fields
                },
            )
            for measure, created in batch
        )
        versions_recorded.send(sender=Measure, versions=versions)


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
        snapshot[name] = partial_date_text(snapshot[name], snapshot[f"{name}_precision"])
    snapshot.update({name: version.parts.get(name, []) for name in PART_NAMES})
    snapshot["events"] = [
        {**event, "date_precision": PartialDate.parse(event["date"]).precision}
        for event in snapshot["events"]
    ]
    return snapshot


def changed_fields(older: dict | None, newer: dict) -> dict[str, dict]:
    if older is None:
        return {}
    return {
        name: {"old": older.get(name), "new": value}
        for name, value in newer.items()
        if older.get(name) != value
    }
