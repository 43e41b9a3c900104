"""The change log: one row per create, update or delete of a measure, material, authority,
jurisdiction or sector, written in the same transaction as the write it records.

The feed (``GET /api/v1/changes/``) and the webhooks read it in one order that never changes
once a row is shown: see ``changelog.cursor`` for why that order is safe under concurrency.
"""

from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    MEASURE = "measure", "Measure"
    MATERIAL = "material", "Material"
    AUTHORITY = "authority", "Authority"
    JURISDICTION = "jurisdiction", "Jurisdiction"
    SECTOR = "sector", "Sector"


class Action(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class Change(models.Model):
    """One write of one record, as the feed shows it."""

    position = models.BigIntegerField(
        unique=True,
        editable=False,
        help_text="Place in the feed: handed out in commit order (see changelog.cursor).",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    key = models.CharField(
        max_length=200, help_text="Natural key: a measure's key, a code or a slug."
    )
    object_id = models.BigIntegerField(help_text="Primary key of the record changed.")
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.BigIntegerField(help_text="The history version this write recorded.")
    changed_at = models.DateTimeField(help_text="When the write was recorded.")

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["kind", "key", "position"], name="change_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.action}"
