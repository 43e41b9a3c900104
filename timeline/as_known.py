"""Answers as known at a past moment: the measures as the database stood then, rebuilt from the
audit history (``history.py``), so that "what did you tell us on 3 March?" can be answered again.

The rule: at a moment K, a measure is known as its latest version recorded at or before K
(``history_date <= K``; ties between versions of one instant go to the later version id),
unless that version is its deletion. So a measure created after K is absent, one deleted after
K is present as it was, and an edit after K is not yet applied, nested parts included: each
version keeps its materials, events, sources, relations, authorities, sectors and target
jurisdictions as that write left them (``MeasureVersionBase.parts``). A measure is identified
by its key, which an update cannot change.

What a version does not hold is read from the other histories as they stood at K: material and
sector names (a measure lists its materials in name order). What nothing recorded is taken
from today: group membership, for matching a material to the groups containing it, and the
names of materials without a history version (created in bulk). A change that moves a
measure's ``updated_at`` without a version of its own (renaming a material it lists) shows
under the name it had when the measure's version was written. ``created_at`` is the moment of
the key's first version and ``updated_at`` that of the version shown. Measures written without
history (``generate_synthetic``'s benchmark data) were never known.

Cost: one query for the versions known at K (per key, the newest at or before K, found by
the ``measure_version_key_date_idx`` index on (key, history_date, history_id)); filtering,
statuses and ordering then run in Python over every measure known at K (nested lists decoded
only where a filter reads them), and five more queries complete the page shown (first
versions, material and sector names). That is linear in the number of measures, where
today's answers read one page through indexes. Nothing known at K can change once K is
``SETTLED`` in the past, so those answers can be kept for good.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from django.db.models import Min, OuterRef, Subquery, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from .history import FIELD_NAMES
from .models import MEASURE_DATE_FIELDS, Material, Measure, Sector
from .precision import DatePrecision, PartialDate
from .search import matching_ids
from .status import MeasureStatus, status_certain, status_confirmed, status_on

# A write records its version just before it commits; after this long no version dated before
# a moment can still appear, and what was known then is settled.
SETTLED = datetime.timedelta(minutes=5)
# The orderings of the measures list: (name, how to read it from a known measure).
ORDERINGS: dict[str, Callable[[KnownMeasure], Any]] = {
    "effective_on": lambda known: known.effective_on,
    "announced_on": lambda known: known.announced_on,
    "updated_at": lambda known: known.updated_at,
    "title": lambda known: known.title,
    "key": lambda known: known.key,
}
DEFAULT_ORDERING = ("-effective_on", "key")


def is_settled(moment: datetime.datetime, now: datetime.datetime | None = None) -> bool:
    """Whether what was known at ``moment`` can no longer change (it is ``SETTLED`` ago)."""
    return moment <= (now or timezone.now()) - SETTLED


@dataclass(frozen=True)
class KnownEvent:
    """A timeline entry of a known measure (a recorded event, or one its dates imply)."""

    date: datetime.date  # the first day of its period, when known only to the month or year
    type: str
    precision: str = DatePrecision.DAY
    note: str = ""
    source_url: str = ""
    scheduled: bool = False
    derived: bool = False


class KnownMeasure:
    """A measure as one version of its history shows it: the version's own fields (those of
    ``history.FIELD_NAMES`` and any date precisions, as attributes) and its nested lists
    (``parts``, natural keys, as ``history.measure_parts`` writes them, decoded when first
    read). ``created_at`` and the names are filled in by ``complete`` for the measures shown."""

    key: str
    title: str
    reference: str
    measure_type: str
    summary: str
    announced_on: datetime.date | None  # each date the first day of its period, with its
    effective_on: datetime.date | None  # ``<name>_precision``
    ends_on: datetime.date | None
    announced_on_precision: str
    effective_on_precision: str
    ends_on_precision: str
    confidence: str
    notes: str

    def __init__(self, *, version: int, updated_at: datetime.datetime, parts: str | dict,
                 **fields: Any) -> None:  # fmt: skip
        self.version = version
        self.updated_at = updated_at
        self._parts = parts
        self._events: list[KnownEvent] | None = None
        self.created_at: datetime.datetime | None = None
        self.material_names: dict[str, str] = {}
        self.sector_names: dict[str, str] = {}
        self.__dict__.update(fields)

    @property
    def parts(self) -> dict[str, Any]:
        if isinstance(self._parts, str | bytes):
            self._parts = orjson.loads(self._parts)
        return self._parts

    @property
    def jurisdiction(self) -> str | None:
        return self.parts.get("jurisdiction")

    def part(self, name: str) -> list:
        return self.parts.get(name, [])

    def events(self) -> list[KnownEvent]:
        """The recorded events, in the order the version stored them (date, type, entry)."""
        if self._events is None:
            self._events = self._read_events()
        return self._events

    def _read_events(self) -> list[KnownEvent]:
        events = []
        for event in self.part("events"):
            date = PartialDate.parse(event["date"])
            events.append(
                KnownEvent(
                    date=date.date,
                    precision=date.precision,
                    type=event["type"],
                    note=event.get("note", ""),
                    source_url=event.get("source_url") or "",
                    scheduled=event.get("scheduled", False),
                )
            )
        return events

    def timeline(self) -> list[KnownEvent]:
        """Recorded events and the entries the dates imply (``Measure.implied_events``), by
        date, then type, then recorded before implied."""
        recorded = self.events()
        unsaved = Measure(**{name: getattr(self, name) for name in _date_fields()})
        implied = unsaved.implied_events({(event.date, event.type) for event in recorded})
        entries = recorded + [
            KnownEvent(date=d, type=t, precision=p, derived=True) for d, t, p in implied
        ]
        return sorted(entries, key=lambda entry: (entry.date, entry.type))

    def status_on(self, day: datetime.date) -> MeasureStatus | None:
        """``status.status_on`` over this version's dates and recorded events."""
        return status_on(
            day,
            announced_on=self.announced_on,
            effective_on=self.effective_on,
            ends_on=self.ends_on,
            events=_Lazily(lambda: [(event.date, event.type) for event in self.events()]),
        )

    def status_confirmed_on(self, day: datetime.date) -> bool:
        """``status.status_confirmed`` over this version's dates and recorded events."""
        return status_confirmed(
            day,
            announced_on=self.announced_on,
            effective_on=self.effective_on,
            ends_on=self.ends_on,
            events=[(event.date, event.type, event.scheduled) for event in self.events()],
        )

    def status_certain_on(self, day: datetime.date) -> bool:
        """``status.status_certain`` over this version's dates and recorded events."""
        return status_certain(
            day,
            **{name: self.partial_date(name) for name in MEASURE_DATE_FIELDS},
            events=[(event.date, event.type, event.precision) for event in self.events()],
        )

    def partial_date(self, name: str) -> tuple[datetime.date | None, str]:
        """One of the measure's dates with its precision (a day for versions older than
        precisions)."""
        return getattr(self, name), getattr(self, f"{name}_precision", DatePrecision.DAY)

    def material_slugs(self) -> set[str]:
        return {link["material"] for link in self.part("materials")}


class _Lazily:
    """An iterable read only if the status rule iterates it (it does not look at the events
    of a measure not in effect on the day), so most measures' events are never decoded."""

    def __init__(self, read: Callable[[], list]) -> None:
        self.read = read

    def __iter__(self):
        return iter(self.read())


def known_versions(moment: datetime.datetime, keys: Iterable[str] | None = None):
    """The history rows that say what was known at ``moment``: per key, the newest version
    recorded at or before it, deletions left out."""
    version = Measure.history.model
    newest = (
        version.objects.filter(key=OuterRef("key"), history_date__lte=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    rows = version.objects.filter(history_date__lte=moment)
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    return rows.filter(history_id=Subquery(newest)).exclude(history_type="-")


def _own_fields() -> list[str]:
    return [name for name in FIELD_NAMES if name != "jurisdiction"]


def _date_fields() -> list[str]:
    return [name for name in FIELD_NAMES if name.endswith(("_on", "_on_precision"))]


def measures_known_on(
    moment: datetime.datetime, keys: Iterable[str] | None = None
) -> list[KnownMeasure]:
    """Every measure known at ``moment`` (only those of ``keys``, if given), unordered and
    without ``created_at`` and names (``complete`` adds them). One query; the nested lists
    come as JSON text, decoded only for the measures a question or a page reads."""
    own = _own_fields()
    rows = (
        known_versions(moment, keys)
        .annotate(parts_text=Cast("parts", TextField()))
        .values_list("history_id", "history_date", "parts_text", *own)
    )
    return [
        KnownMeasure(
            version=version,
            updated_at=recorded_at,
            parts=parts,
            **dict(zip(own, values, strict=True)),
        )
        for version, recorded_at, parts, *values in rows
    ]


def _names_known_on(model, slugs: set[str], moment: datetime.datetime) -> dict[str, str]:
    """The ``name`` of each slug's row as its history stood at ``moment``; rows without a
    history version before then keep today's name."""
    names = dict(model.objects.filter(slug__in=slugs).values_list("slug", "name"))
    rows = (
        model.history.filter(slug__in=slugs, history_date__lte=moment)
        .exclude(history_type="-")
        .order_by("history_date", "history_id")
        .values_list("slug", "name")
    )
    names.update(rows)  # the newest version of each slug comes last
    return names


def complete(measures: list[KnownMeasure], moment: datetime.datetime) -> list[KnownMeasure]:
    """Fill in what showing ``measures`` needs beyond their versions, in five queries
    whatever their number: ``created_at`` (the key's first version) and the names of their
    materials and sectors at ``moment``."""
    if not measures:
        return measures
    first_seen = dict(
        Measure.history.filter(key__in=[measure.key for measure in measures])
        .values("key")
        .annotate(first=Min("history_date"))
        .values_list("key", "first")
    )
    material_slugs = set().union(*(measure.material_slugs() for measure in measures))
    sector_slugs = set().union(*(set(measure.part("sectors")) for measure in measures))
    material_names = _names_known_on(Material, material_slugs, moment)
    sector_names = _names_known_on(Sector, sector_slugs, moment)
    for measure in measures:
        measure.created_at = first_seen[measure.key]
        measure.material_names = material_names
        measure.sector_names = sector_names
    return measures


def measure_known_on(key: str, moment: datetime.datetime) -> KnownMeasure | None:
    """The measure ``key`` as known at ``moment``, complete; None if it did not exist then."""
    found = complete(measures_known_on(moment, [key]), moment)
    return found[0] if found else None


@dataclass(frozen=True)
class Question:
    """What a list of measures asks, as the measures list's filters say it (each None or
    empty: not asked). Lists match any of their items; the parameters combine with AND."""

    jurisdictions: frozenset[str] = frozenset()
    authorities: frozenset[str] = frozenset()
    measure_types: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    # Each a set of material slugs (groups expanded both ways) a measure must list one of.
    material_sets: tuple[frozenset[str], ...] = ()
    statuses: frozenset[str] = frozenset()
    status_day: datetime.date | None = None
    in_force_on: datetime.date | None = None
    announced_after: datetime.date | None = None
    announced_before: datetime.date | None = None
    effective_after: datetime.date | None = None
    effective_before: datetime.date | None = None
    updated_since: datetime.datetime | None = None
    updated_since_past_everything: bool = False  # a moment after the years Python holds
    text: str | None = None
    ordering: tuple[str, ...] = ()

    def matches(self, known: KnownMeasure) -> bool:
        # Cheapest first: a measure's own fields, then its nested lists, then its status.
        checks = (
            lambda: not self.measure_types or known.measure_type in self.measure_types,
            lambda: _within(known.announced_on, self.announced_after, self.announced_before),
            lambda: _within(known.effective_on, self.effective_after, self.effective_before),
            lambda: not self.updated_since_past_everything,
            lambda: self.updated_since is None or known.updated_at >= self.updated_since,
            lambda: not self.text or _mentions(known, self.text),
            lambda: not self.jurisdictions or known.jurisdiction in self.jurisdictions,
            lambda: not self.authorities or bool(self.authorities & set(known.part("authorities"))),
            lambda: (
                not self.targets or bool(self.targets & set(known.part("target_jurisdictions")))
            ),
            lambda: not self.sectors or bool(self.sectors & set(known.part("sectors"))),
            lambda: all(wanted & known.material_slugs() for wanted in self.material_sets),
            lambda: (
                self.in_force_on is None
                or known.status_on(self.in_force_on) == MeasureStatus.IN_FORCE
            ),
            lambda: (
                not self.statuses
                or known.status_on(self.status_day or timezone.localdate()) in self.statuses
            ),
        )
        return all(check() for check in checks)


def _within(day, after, before) -> bool:
    if after is None and before is None:
        return True
    return day is not None and (after is None or day >= after) and (before is None or day <= before)


def _mentions(known: KnownMeasure, text: str) -> bool:
    """``q``'s rule (``timeline.search``: words, case, accents, hyphens, synonyms) over the
    texts the version holds: its own fields, scopes, source titles, and the slugs of its
    materials and authorities (names are read only for the page shown)."""
    texts = [known.key, known.title, known.reference, known.summary, known.notes]
    texts += [link.get("scope", "") for link in known.part("materials")]
    texts += [source.get("title", "") for source in known.part("sources")]
    texts += [
        slug.replace("-", " ") for slug in (*known.material_slugs(), *known.part("authorities"))
    ]
    return bool(matching_ids([(known.key, *texts)], text))


def material_slugs_matching(materials: Iterable[Material]) -> frozenset[str]:
    """The slugs a measure may list to match ``materials`` (their groups upwards and members
    downwards, as the group graph is today)."""
    ids = Material.objects.related_ids(materials)
    return frozenset(Material.objects.filter(pk__in=ids).values_list("slug", flat=True))


def ordered(measures: list[KnownMeasure], ordering: Iterable[str]) -> list[KnownMeasure]:
    """``measures`` in the measures list's order: each of ``ordering`` (``-`` for descending),
    empty values last either way, then ``DEFAULT_ORDERING``'s tie-break by key."""
    names = list(ordering) or list(DEFAULT_ORDERING)
    result = list(measures)
    for name in reversed([*names, "key"]):
        read = ORDERINGS[name.lstrip("-")]
        if name.startswith("-"):
            # Reversed, present values (True) come first; empty ones last, as in SQL.
            result.sort(key=lambda m, read=read: _present(read(m), True), reverse=True)
        else:
            result.sort(key=lambda m, read=read: _present(read(m), False))
    return result


def _present(value, descending: bool) -> tuple[bool, Any]:
    """A sort key putting an empty ``value`` last whichever the direction."""
    if value is None:
        return (not descending, 0)
    return (descending, value)


def answer(moment: datetime.datetime, question: Question) -> list[KnownMeasure]:
    """The measures known at ``moment`` that ``question`` asks for, in its order (pass the
    ones to show to ``complete``)."""
    found = [known for known in measures_known_on(moment) if question.matches(known)]
    return ordered(found, question.ordering)


def timeline_entries(
    known: KnownMeasure,
    *,
    after: datetime.date | None = None,
    before: datetime.date | None = None,
    types: frozenset[str] = frozenset(),
    descending: bool = False,
) -> list[KnownEvent]:
    """A known measure's timeline entries dated ``after`` to ``before`` (inclusive) of
    ``types`` (any when empty), by date (newest first when ``descending``), then type."""
    entries = [
        entry
        for entry in known.timeline()
        if _within(entry.date, after, before) and (not types or entry.type in types)
    ]
    if descending:
        entries.sort(key=lambda entry: entry.date.toordinal(), reverse=True)
    return entries
