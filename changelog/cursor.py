"""The feed's order and cursor: why a client polling with ``after`` never misses a change and
never sees one twice, even when a transaction that started first commits last.

Each change gets a ``position`` from the timeline's version row (``timeline.TimelineVersion``),
incremented by ``UPDATE ... RETURNING`` in the writing transaction. That UPDATE locks the row
until the transaction ends, and every write of the timeline takes the same lock (the version
is bumped on every save), so a second writer waits at its first change until the first one
has committed or rolled back. Positions are therefore handed out in commit order: when a
reader sees position *p*, every position below *p* is committed already (or was rolled back
and will never exist). A client that asks for the rows after the last position it saw
cannot miss one that commits later, nor see one twice.

- PostgreSQL: a row lock, held to the end of the transaction (READ COMMITTED re-reads the
  row once the lock is released, so the waiting writer counts on from the committed value).
- SQLite: one write transaction at a time (the settings begin them IMMEDIATE); the same
  statement gives the same order.

The cost: writers of the timeline queue behind each other from their first change to their
commit, which they already did for the version row. Reads take no lock.
"""

from __future__ import annotations

import base64
import binascii

from django.db import connection, transaction
from django.db.models import QuerySet

from timeline.models import TimelineVersion
from timeline.versioning import VERSION_ROW

from .models import Change

CURSOR_PREFIX = b"c1:"
# What the schema says of a cursor: its characters, and a format naming where one comes from.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"
CURSOR_FORMAT = "change-cursor"


class BadCursor(ValueError):
    """The text given is not a cursor this feed handed out."""


def encode(position: int) -> str:
    """An opaque cursor for ``position``; clients store it and send it back as ``after``."""
    return base64.urlsafe_b64encode(CURSOR_PREFIX + str(position).encode()).decode().rstrip("=")


def decode(text: str) -> int:
    """The position in a cursor; ``BadCursor`` for anything ``encode`` did not make."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadCursor(text) from None
    digits = raw.removeprefix(CURSOR_PREFIX)
    if raw == digits or not digits.isdigit() or encode(int(digits)) != text:
        raise BadCursor(text)
    return int(digits)


def claim_positions(count: int) -> range:
    """``count`` new positions, in commit order: call inside the writing transaction."""
    assert transaction.get_connection().in_atomic_block, "positions are claimed in a write"
    table = connection.ops.quote_name(TimelineVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = value + %s WHERE id = %s RETURNING value",
            [count, VERSION_ROW],
        )
        row = cursor.fetchone()
    if row is None:  # a database migrated without the row: start it (and lock it) here
        TimelineVersion.objects.get_or_create(pk=VERSION_ROW, defaults={"value": 0})
        return claim_positions(count)
    return range(row[0] - count + 1, row[0] + 1)


def changes_after(position: int | None) -> QuerySet[Change]:
    """Committed changes after ``position`` (all of them for None), in feed order."""
    changes = Change.objects.order_by("position")
    return changes if position is None else changes.filter(position__gt=position)


def last_position() -> int:
    """The position of the newest committed change, 0 when there is none."""
    return Change.objects.order_by("-position").values_list("position", flat=True).first() or 0
