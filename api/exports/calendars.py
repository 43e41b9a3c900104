"""iCalendar (RFC 5545) through the icalendar library: dated timeline entries as all-day
events, written event by event, with UIDs a subscribed calendar can follow.

A measure's own dates (announcement, entry into force, end) are named by the measure and the
date's kind (``key.effective@host``), in the measures export and, for the entries a timeline
derives from them, in the timelines; so a moved date keeps its UID. A recorded event is named
by the measure, its type and its date (``key.note.2025-05-01@host``): changing its date makes
another event. A measure may hold two entries of one type on one day (two notes, say): the
second and later are numbered (``key.note.2025-05-01.2@host``), as RFC 5545 wants each UID
once and a calendar keeps one event per UID."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator

from icalendar import Calendar, Event

from timeline.precision import PartialDate

from .atom import measure_summary
from .base import Export, ExportRenderer, printable

END_OF_CALENDAR = b"END:VCALENDAR\r\n"
# The measure's own dates: (field, the event type it stands for, what the event is).
MEASURE_DATES = (
    ("announced_on", "announced", "announced"),
    ("effective_on", "effective", "entry into force"),
    ("ends_on", "ended", "end"),
)
EVENT_WORDS = {
    "announced": "announced",
    "published": "published",
    "effective": "took effect",
    "amended": "amended",
    "suspended": "suspended",
    "reinstated": "reinstated (suspension ends)",
    "extended": "extended",
    "ended": "ended",
    "note": "note",
}


def period(date: str) -> tuple[datetime.date, datetime.date]:
    """The days a date covers, end exclusive: a day (``2025-06-01``), or the month or year of
    a date known only that precisely (``2025-06``, ``2025``), rather than an invented day."""
    known = PartialDate.parse(date)
    return known.date, known.last_day + datetime.timedelta(days=1)


def all_day(uid: str, date: str, summary: str, description: str, url: str, stamp) -> Event:
    start, end = period(date)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", printable(summary))
    event.add("description", printable(description, lines=True))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a deadline, not a busy day
    return event


def measure_events(item: dict, host: str) -> Iterator[Event]:
    """A measure's dates, then its recorded events other than those dates' own (an
    announcement recorded on ``announced_on`` is listed once)."""
    stamp = datetime.datetime.fromisoformat(item["updated_at"])
    description = f"{measure_summary(item)}\n{item['url']}"
    own = set()
    for name, event_type, words in MEASURE_DATES:
        if item[name]:
            own.add((event_type, item[name]))
            yield all_day(
                f"{item['key']}.{event_type}@{host}",
                item[name],
                f"{item['title']}: {words}",
                description,
                item["url"],
                stamp,
            )
    seen: Counter = Counter()
    for entry in item["events"]:
        if (entry["type"], entry["date"]) in own:
            continue
        words = EVENT_WORDS.get(entry["type"], entry["type"])
        scheduled = " (scheduled)" if entry["scheduled"] else ""
        yield all_day(
            numbered(f"{item['key']}.{entry['type']}.{entry['date']}@{host}", seen),
            entry["date"],
            f"{item['title']}: {words}{scheduled}",
            "\n".join(part for part in (entry["note"], description) if part),
            entry["source_url"] or item["url"],
            stamp,
        )


def numbered(uid: str, seen: Counter) -> str:
    """``uid``, numbered when it is not its first holder among ``seen`` (counted there):
    ``key.note.2025-05-01.2@host`` for the second."""
    seen[uid] += 1
    if seen[uid] == 1:
        return uid
    name, _, host = uid.rpartition("@")
    return f"{name}.{seen[uid]}@{host}"


class TimelineUIDs:
    """A timeline's events, read in its order (by date, then type), their UIDs numbered among
    the current day's only: no later entry shares one with an earlier day's."""

    def __init__(self):
        self.day: datetime.date | None = None
        self.seen: Counter = Counter()

    def events(self, items: Iterable[dict], host: str, stamp) -> Iterator[Event]:
        for item in items:
            day = period(item["date"])[0]
            if day != self.day:
                self.day, self.seen = day, Counter()
            yield timeline_event(item, host, stamp, self.seen)


# The types of the entries a timeline derives from a measure's own dates.
OWN_DATE_TYPES = {event_type for _, event_type, _ in MEASURE_DATES}


def timeline_event(item: dict, host: str, stamp: datetime.datetime, seen: Counter) -> Event:
    """A timeline entry; one derived from the measure's own date has that date's UID, as in
    the measures export (``key.effective@host``), so it keeps it when the date moves; the
    others are numbered among ``seen`` (``numbered``)."""
    measure = item["measure"]
    words = EVENT_WORDS.get(item["type"], item["type"])
    scheduled = " (scheduled)" if item["scheduled"] else ""
    own_date = item["derived"] and item["type"] in OWN_DATE_TYPES
    return all_day(
        f"{measure['key']}.{item['type']}@{host}"
        if own_date
        else numbered(f"{measure['key']}.{item['type']}.{item['date']}@{host}", seen),
        item["date"],
        f"{measure['title']}: {words}{scheduled}",
        "\n".join(part for part in (item["note"], measure["url"]) if part),
        item["source_url"] or measure["url"],
        stamp,
    )


class ICSRenderer(ExportRenderer):
    media_type = "text/calendar"
    format = "ics"

    def stream(self, export: Export) -> Iterator[bytes]:
        calendar = Calendar()
        calendar.add("prodid", "-//RegWatch//Timeline//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", export.title)
        calendar.add("name", export.title)
        head = calendar.to_ical()
        yield head.removesuffix(END_OF_CALENDAR)
        host = export.request.get_host().split(":")[0]
        timeline = TimelineUIDs()
        for chunk in export.chunks:
            if export.kind == "measures":
                events = (event for item in chunk for event in measure_events(item, host))
            else:
                events = timeline.events(chunk, host, export.last_modified)
            yield b"".join(event.to_ical() for event in events)
        yield END_OF_CALENDAR
