"""The timeline's version: bumped in the same transaction as every write, read by caches."""

import datetime
import functools

from django.db import connection
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

VERSION_ROW = 1


@functools.cache
def _version_sql() -> str:
    from .models import TimelineVersion

    meta, quote = TimelineVersion._meta, connection.ops.quote_name
    return (
        f"SELECT {quote(meta.get_field('value').column)} FROM {quote(meta.db_table)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )


def current_version() -> int:
    """Read on every cached request, so one plain statement rather than an ORM query."""
    with connection.cursor() as cursor:
        cursor.execute(_version_sql(), [VERSION_ROW])
        row = cursor.fetchone()
    return row[0] if row else 0


def bump_version(model=None) -> None:
    """Move the version on; ``model`` is a migration's frozen TimelineVersion, if called there."""
    from .models import TimelineVersion

    model = model or TimelineVersion
    moment = {}
    if any(field.name == "changed_at" for field in model._meta.fields):  # not in old migrations
        moment["changed_at"] = timezone.now()
    if not model.objects.filter(pk=VERSION_ROW).update(value=F("value") + 1, **moment):
        model.objects.get_or_create(pk=VERSION_ROW, defaults={"value": 1, **moment})


def last_changed_at() -> datetime.datetime | None:
    """When the timeline last changed (every write moves it with the version); None when no
    change was counted since the moment was recorded."""
    from .models import TimelineVersion

    return (
        TimelineVersion.objects.filter(pk=VERSION_ROW).values_list("changed_at", flat=True).first()
    )


def _changed(sender, **kwargs) -> None:
    meta = sender._meta
    if meta.app_label == "timeline" and not meta.model_name.startswith(
        ("historical", "timelineversion")
    ):
        bump_version()


def connect_signals() -> None:
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_changed, dispatch_uid=f"timeline-version-{signal}")
