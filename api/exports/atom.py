"""Atom 1.0 (RFC 4287) through Django's feed generator: the matching measures, each entry
linking to the measure's API and admin addresses, its status and dates in the summary. The
feed is written entry by entry, so a long list streams like the other formats."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator

from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

from timeline.models import Measure

from .base import Export, ExportRenderer, printable

FLUSH_AT = 64 * 1024
STATUS_WORDS = {
    "upcoming": "upcoming",
    "in_force": "in force",
    "suspended": "suspended",
    "ended": "ended",
}


def measure_summary(item: dict) -> str:
    """Status and dates in a sentence each, e.g. "Status today: in force (confirmed)."."""
    status = STATUS_WORDS.get(item["status"], "not yet announced")
    certainty = "confirmed" if item["status_confirmed"] else "rests on a scheduled event"
    if not item.get("status_certain", True):
        certainty += "; today lies in a period one of its dates is known only to"
    dates = [
        f"{label} {item[name]}"
        for label, name in (
            ("announced", "announced_on"),
            ("in force from", "effective_on"),
            ("ends", "ends_on"),
        )
        if item[name]
    ]
    parts = [
        f"Status today: {status} ({certainty}).",
        f"{'; '.join(dates).capitalize()}." if dates else "No dates recorded.",
        f"{item['jurisdiction']}, {item['measure_type'].replace('_', ' ')}.",
    ]
    if item["materials"]:
        parts.append(f"Materials: {', '.join(link['name'] for link in item['materials'])}.")
    if item["summary"]:
        parts.append(item["summary"])
    return " ".join(parts)


class MeasureFeed(Atom1Feed):
    """Atom1Feed written entry by entry (``stream``); each entry links to the measure's admin
    page too (``rel="edit"``)."""

    def __init__(self, *args, updated: datetime.datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.updated = updated

    def latest_post_date(self) -> datetime.datetime:
        return self.updated  # known before the entries are read: the export's Last-Modified

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"href": item["admin_link"], "rel": "edit"})

    def stream(self, entries: Iterator[dict]) -> Iterator[bytes]:
        buffer = io.StringIO()
        handler = SimplerXMLGenerator(buffer, "utf-8", short_empty_elements=True)
        handler.startDocument()
        handler.startElement("feed", self.root_attributes())
        self.add_root_elements(handler)
        for entry in entries:
            self.add_item(**entry)
            item = self.items.pop()
            handler.startElement("entry", self.item_attributes(item))
            self.add_item_elements(handler, item)
            handler.endElement("entry")
            if buffer.tell() > FLUSH_AT:
                yield _drain(buffer)
        handler.endElement("feed")
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


class AtomRenderer(ExportRenderer):
    media_type = "application/atom+xml"
    format = "atom"
    newest_first = True

    def stream(self, export: Export) -> Iterator[bytes]:
        request = export.request
        feed = MeasureFeed(
            title=export.title,
            link=request.build_absolute_uri(request.path),
            feed_url=request.build_absolute_uri(),
            feed_guid=request.build_absolute_uri(),
            description="Export controls and other measures on critical materials.",
            author_name="RegWatch",
            updated=export.last_modified,
        )
        return feed.stream(self._entries(export))

    @staticmethod
    def _entries(export: Export) -> Iterator[dict]:
        for chunk in export.chunks:
            ids = dict(
                Measure.objects.filter(key__in=[item["key"] for item in chunk]).values_list(
                    "key", "pk"
                )
            )
            for item in chunk:
                admin = reverse("admin:timeline_measure_change", args=[ids[item["key"]]])
                yield {
                    "title": printable(item["title"]),
                    "link": item["url"],
                    "unique_id": item["url"],
                    "description": printable(measure_summary(item), lines=True),
                    "pubdate": datetime.datetime.fromisoformat(item["created_at"]),
                    "updateddate": datetime.datetime.fromisoformat(item["updated_at"]),
                    "categories": [item["measure_type"], item["jurisdiction"]],
                    "admin_link": export.request.build_absolute_uri(admin),
                }
