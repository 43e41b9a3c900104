"""The flat columns of CSV and Excel exports: one per field of the JSON list item, lists joined
with ``"; "``, nested objects by their key. Each column says its kind, so Excel gets typed
cells (dates as dates) while CSV keeps the JSON's ISO text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

LIST_SEPARATOR = "; "


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"  # YYYY-MM-DD, or a reduced date (YYYY-MM, YYYY) kept as text
    MOMENT = "moment"  # RFC 3339, UTC
    BOOLEAN = "boolean"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    name: str
    value: Callable[[dict], object]
    kind: Kind = Kind.TEXT


def field(name: str, kind: Kind = Kind.TEXT) -> Column:
    return Column(name, lambda item: item[name], kind)


def joined(name: str, part: Callable[[object], str] = str) -> Column:
    """A list field as one cell: its items (each through ``part``) joined by ``"; "``."""
    return Column(name, lambda item: LIST_SEPARATOR.join(part(value) for value in item[name]))


def _event(event: dict) -> str:
    return " ".join(
        part
        for part in (event["date"], event["type"], "(scheduled)" if event["scheduled"] else "")
        if part
    )


MEASURE_COLUMNS = (
    field("key"),
    field("url"),
    field("title"),
    field("reference"),
    field("jurisdiction"),
    joined("authorities"),
    field("measure_type"),
    field("status"),
    field("status_confirmed", Kind.BOOLEAN),
    field("status_certain", Kind.BOOLEAN),
    field("summary"),
    field("announced_on", Kind.DATE),
    field("announced_on_precision"),
    field("effective_on", Kind.DATE),
    field("effective_on_precision"),
    field("ends_on", Kind.DATE),
    field("ends_on_precision"),
    joined("target_jurisdictions"),
    joined("materials", lambda link: f"{link['material']} ({link['scope']})"),
    joined("sectors"),
    joined("events", _event),
    joined("related", lambda link: f"{link['relation']} {link['measure']}"),
    joined("sources", lambda source: source["url"]),
    field("confidence"),
    field("notes"),
    field("created_at", Kind.MOMENT),
    field("updated_at", Kind.MOMENT),
)

EVENT_COLUMNS = (
    field("date", Kind.DATE),
    field("date_precision"),
    field("type"),
    field("note"),
    field("source_url"),
    field("scheduled", Kind.BOOLEAN),
    field("derived", Kind.BOOLEAN),
    Column("measure", lambda item: item["measure"]["key"]),
    Column("measure_title", lambda item: item["measure"]["title"]),
    Column("measure_url", lambda item: item["measure"]["url"]),
)

MATERIAL_COLUMNS = (
    field("slug"),
    field("url"),
    field("name"),
    field("category"),
    field("symbol"),
    field("atomic_number", Kind.NUMBER),
    field("cas_number"),
    joined("hs_codes"),
    joined("groups"),
    joined("members"),
)
