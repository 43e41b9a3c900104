"""What every export renderer gets, and the validators and filename of an export."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone
from django.utils.text import slugify
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from api.caching import timeline_cache_key
from api.conditional import statuses_moved_at
from timeline.versioning import last_changed_at

from .columns import Column

FILENAME_MAX_LENGTH = 150


@dataclass
class Export:
    """One export: the list's items in chunks (each chunk built by the list's own row
    builder, so each item is exactly the JSON list item), and what the formats need besides."""

    kind: str  # "measures", "events" or "materials"
    chunks: Iterator[list[dict]]
    columns: tuple[Column, ...]
    request: Request
    title: str  # what was asked, for a person: "RegWatch measures (material=gallium)"
    last_modified: datetime.datetime


class ExportRenderer(BaseRenderer):
    """A format of the list endpoints. The list itself is streamed (``stream``); ``render`` only
    ever sees a bodiless answer (a 304), as errors are answered in JSON whatever the format
    asked for (``ExportMixin.finalize_response``)."""

    charset = "utf-8"
    attachment = False  # whether the answer names a file to save (Content-Disposition)
    # A byte-identical body for the same timeline, day and address (a strong ETag); a
    # workbook's zip stamps the moment it was written, so its tag is weak.
    strong_validator = True
    newest_first = False  # a feed: the newest first unless the request orders it

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        raise TypeError(f"{self.format} answers stream from ExportMixin, not from render()")

    def stream(self, export: Export) -> Iterator[bytes]:
        raise NotImplementedError

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset={self.charset}" if self.charset else self.media_type


# Characters XML 1.0 (Atom, a workbook's sheets) and iCalendar's TEXT cannot carry: the C0
# controls but tab, line feed and carriage return, and DEL. A query value or a stored text may
# hold them.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_LINE_BREAKS = dict.fromkeys(map(ord, "\t\n\r"), " ")


def printable(text: str, *, lines: bool = False) -> str:
    """``text`` as a feed, a calendar or a workbook can carry it: control characters left
    out, and tabs and line breaks made spaces unless ``lines`` (a description keeps its lines;
    a title has one)."""
    text = text.translate(_CONTROL)
    return text if lines else text.translate(_LINE_BREAKS)


def export_title(request: Request, kind: str) -> str:
    """``RegWatch measures (jurisdiction=CN, material=gallium)``: the address and parameters
    asked, on one printable line (``printable``)."""
    asked = [
        f"{name}={value}"
        for name, values in sorted(request.query_params.lists())
        if name != "format"
        for value in values
    ]
    where = request.path.removeprefix("/api/v1/").strip("/").replace("/", " ")
    return printable(f"RegWatch {where}" + (f" ({', '.join(asked)})" if asked else ""))


def export_filename(request: Request, extension: str) -> str:
    """A file name that says what was asked: the list's address and its parameters, e.g.
    ``regwatch-measures_material-gallium_status-in_force.csv``."""
    where = slugify(request.path.removeprefix("/api/v1/").strip("/").replace("/", " "))
    parts = [f"regwatch-{where}"] + [
        slugify(f"{name} {value}")
        for name, values in sorted(request.query_params.lists())
        if name != "format"
        for value in values
    ]
    stem = "_".join(part for part in parts if part)[:FILENAME_MAX_LENGTH].rstrip("-_")
    return f"{stem}.{extension}"


def export_etag(request: Request, renderer: ExportRenderer) -> str:
    """An export is computed from the timeline as it is (its version moves with every write),
    the day (statuses move with it) and the request (address, parameters, format): a tag of
    those, known before a row is read, so a feed reader or calendar polling an unchanged list
    costs one SQL statement."""
    identity = timeline_cache_key("export", request.build_absolute_uri(), renderer.media_type)
    tag = f'"{identity.removeprefix("read:")[:40]}"'
    return tag if renderer.strong_validator else f"W/{tag}"


def export_last_modified() -> datetime.datetime:
    """The later of the timeline's last change and the start of today (UTC), when statuses
    last moved; now, when no change has been recorded with its moment."""
    changed = last_changed_at() or timezone.now()
    return max(changed, statuses_moved_at()).replace(microsecond=0)
