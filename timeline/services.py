"""Writes of measures (saving with nested parts, deleting, restoring a version); the API, the
admin and the loader all go through here so the timeline's derived entries, the search index,
the history and ``updated_at`` stay in step."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, RestrictedError
from django.utils.dateparse import parse_datetime

from .changes import touch_measures
from .history import FIELD_NAMES, deleted_parts, record_version
from .models import (
    Authority,
    Jurisdiction,
    Material,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    MeasureSource,
    Sector,
)
from .periods import rebuild_in_force_periods
from .precision import DatePrecision, PartialDate
from .representation import store as representation
from .search.index import index_measures
from .status import SUSPENSION_EVENTS
from .versioning import bump_version

# The measure's own columns, as save_measure compares them.
MEASURE_FIELDS = tuple(
    "jurisdiction_id" if name == "jurisdiction" else name for name in FIELD_NAMES
)


@dataclass(frozen=True)
class MaterialLink:
    material: Material
    scope: str = ""

    def as_row(self) -> MeasureMaterial:
        return MeasureMaterial(material=self.material, scope=self.scope)


@dataclass(frozen=True)
class EventEntry:
    date: datetime.date
    type: str
    note: str = ""
    source_url: str = ""
    scheduled: bool = False
    date_precision: str = DatePrecision.DAY

    @classmethod
    def on(cls, date: PartialDate, type: str, **fields) -> EventEntry:
        """An event on a date known to the day, month or year."""
        return cls(date=date.date, type=type, date_precision=date.precision, **fields)

    def as_row(self) -> MeasureEvent:
        return MeasureEvent(
            date=self.date,
            date_precision=self.date_precision,
            type=self.type,
            note=self.note,
            source_url=self.source_url,
            scheduled=self.scheduled,
        )


@dataclass(frozen=True)
class SourceEntry:
    url: str
    title: str = ""
    publisher: str = ""
    published_on: datetime.date | None = None

    def as_row(self) -> MeasureSource:
        return MeasureSource(
            url=self.url, title=self.title, publisher=self.publisher, published_on=self.published_on
        )


@dataclass(frozen=True)
class RelationEntry:
    measure: Measure
    relation: str


@dataclass
class NewMeasure:
    """A measure not saved yet, with its nested parts, for ``create_measures``: what a load
    of thousands of new measures writes in bulk rather than one ``save_measure`` each."""

    measure: Measure
    authorities: list[Authority] = field(default_factory=list)
    target_jurisdictions: list[Jurisdiction] = field(default_factory=list)
    sectors: list[Sector] = field(default_factory=list)
    materials: list[MaterialLink] = field(default_factory=list)
    events: list[EventEntry] = field(default_factory=list)
    sources: list[SourceEntry] = field(default_factory=list)
    rows: dict[type, list] = field(default_factory=dict, repr=False)

    def validate(self) -> None:
        """What ``save_measure`` checks before writing, without the database: the caller
        knows that the key is new, and the rows it refers to are ones it read (checking each
        reference again would cost a query per row)."""
        references = ["jurisdiction"] if self.measure.jurisdiction_id else []
        self.measure.full_clean(
            exclude=references, validate_unique=False, validate_constraints=False
        )
        _duplicates("materials", "material", [link.material.pk for link in self.materials])
        _duplicates("sources", "url", [source.url for source in self.sources])
        self.rows = {
            MeasureMaterial: [link.as_row() for link in self.materials],
            MeasureEvent: [event.as_row() for event in self.events],
            MeasureSource: [source.as_row() for source in self.sources],
        }
        _validate_rows("materials", self.rows[MeasureMaterial], ["measure", "material"])
        _validate_rows("events", self.rows[MeasureEvent], ["measure"])
        _validate_rows("sources", self.rows[MeasureSource], ["measure"])


def _validate_rows(name: str, rows: list, exclude: list[str]) -> None:
    # Fields and clean() say in words what the rows' constraints say (an event type is a
    # choice, a relation is not to itself); checking the constraints again costs a query per
    # row, and the database backs them up.
    for index, row in enumerate(rows):
        try:
            row.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            raise ValidationError(
                {
                    f"{name}.{index}.{field}": messages
                    for field, messages in error.message_dict.items()
                }
            ) from error


def _duplicates(name: str, field: str, keys: list) -> None:
    seen = set()
    for index, key in enumerate(keys):
        if key in seen:
            raise ValidationError({f"{name}.{index}.{field}": "Listed twice."})
        seen.add(key)


def _field_values(measure: Measure) -> dict:
    return {field: getattr(measure, field) for field in MEASURE_FIELDS}


@transaction.atomic
def save_measure(
    measure: Measure,
    *,
    authorities: Iterable[Authority] | None = None,
    target_jurisdictions: Iterable[Jurisdiction] | None = None,
    sectors: Iterable[Sector] | None = None,
    materials: Iterable[MaterialLink] | None = None,
    events: Iterable[EventEntry] | None = None,
    sources: Iterable[SourceEntry] | None = None,
    relations: Iterable[RelationEntry] | None = None,
    record_history: bool = True,
) -> bool:
    """Validate and save ``measure``, replacing each nested list that is given (None leaves
    it alone). Writes nothing and returns False when nothing would change. A caller that writes
    a measure in several steps passes ``record_history=False`` and records one version itself."""
    # Constraints are checked by clean() in words a person reads; the database backs them up.
    measure.full_clean(validate_constraints=False)
    is_new = measure.pk is None
    current = (
        {}
        if is_new
        else Measure.objects.filter(pk=measure.pk).values(*MEASURE_FIELDS).first() or {}
    )
    changed = is_new or current != _field_values(measure)

    plans = []

    def plan(wanted, existing_fn, apply_fn):
        nonlocal changed
        if wanted is None:
            return
        if is_new or existing_fn() != wanted:
            changed = True
            plans.append(apply_fn)

    for name, related in (
        ("authorities", authorities),
        ("target_jurisdictions", target_jurisdictions),
        ("sectors", sectors),
    ):
        if related is not None:
            ids = {item.pk for item in related}
            plan(
                ids,
                lambda name=name: set(getattr(measure, name).values_list("pk", flat=True)),
                lambda name=name, ids=ids: getattr(measure, name).set(ids),
            )
    if materials is not None:
        materials = list(materials)
        _duplicates("materials", "material", [link.material.pk for link in materials])
        rows = [link.as_row() for link in materials]
        _validate_rows("materials", rows, ["measure"])
        wanted_materials = {link.material.pk: link.scope for link in materials}
        plan(
            wanted_materials,
            lambda: dict(measure.material_links.values_list("material_id", "scope")),
            lambda rows=rows: _replace(measure, measure.material_links.all(), rows),
        )
    if events is not None:
        events = list(events)
        rows = [event.as_row() for event in events]
        _validate_rows("events", rows, ["measure"])
        wanted_events = sorted(
            (e.date, e.date_precision, e.type, e.note, e.source_url, e.scheduled) for e in events
        )
        plan(
            wanted_events,
            lambda: sorted(
                measure.events.recorded().values_list(
                    "date", "date_precision", "type", "note", "source_url", "scheduled"
                )
            ),
            lambda rows=rows: _replace(measure, measure.events.recorded(), rows),
        )
    if sources is not None:
        sources = list(sources)
        _duplicates("sources", "url", [source.url for source in sources])
        rows = [source.as_row() for source in sources]
        _validate_rows("sources", rows, ["measure"])
        wanted_sources = [(s.url, s.title, s.publisher, s.published_on) for s in sources]
        plan(
            wanted_sources,
            lambda: list(
                measure.sources.order_by("id").values_list(
                    "url", "title", "publisher", "published_on"
                )
            ),
            lambda rows=rows: _replace(measure, measure.sources.all(), rows),
        )
    if relations is not None:
        relations = list(relations)
        _duplicates("related", "measure", [(r.measure.pk, r.relation) for r in relations])
        for index, entry in enumerate(relations):
            if entry.measure.pk is not None and entry.measure.pk == measure.pk:
                raise ValidationError(
                    {f"related.{index}.measure": "A measure cannot relate to itself."}
                )
        rows = [MeasureRelation(to_measure=r.measure, relation=r.relation) for r in relations]
        _validate_rows("related", rows, ["from_measure"])
        wanted_relations = {(r.measure.pk, r.relation) for r in relations}
        plan(
            wanted_relations,
            lambda: set(measure.relations.values_list("to_measure_id", "relation")),
            lambda rows=rows: _replace(
                measure, measure.relations.all(), rows, owner="from_measure"
            ),
        )

    if not changed:
        return False
    measure.save_without_historical_record()
    for apply in plans:
        apply()
    measure.sync_derived_events()
    index_measures([measure.pk])
    representation.refresh([measure.pk])
    if record_history:
        record_version(measure, created=is_new)
    return True


def _replace(measure: Measure, existing, rows: list, owner: str = "measure") -> None:
    existing.delete()
    for row in rows:
        setattr(row, owner, measure)
    if rows:
        type(rows[0]).objects.bulk_create(rows)


class MeasureInUse(Exception):
    """Other measures relate to the measure being deleted."""

    def __init__(self, measure: Measure, referrers: list[str]):
        self.referrers = referrers
        super().__init__(f"{measure.key} is referred to by {', '.join(referrers)}.")


@transaction.atomic
def delete_measure(measure: Measure, *, force: bool = False) -> list[str]:
    """Delete ``measure``; returns the keys of the measures that related to it.

    Their relations to it would go with it, leaving no trace in their history or
    ``updated_at``, so such a delete raises MeasureInUse unless ``force``. Forced, each of them
    loses those relations with a history version saying why and a new ``updated_at``, and the
    "deleted" version keeps the relations so that restoring the measure gives them back."""
    inbound = list(measure.inbound_relations.values_list("from_measure_id", "from_measure__key"))
    referrers = sorted({key for _, key in inbound})
    if referrers and not force:
        raise MeasureInUse(measure, referrers)
    measure._parts_before_delete = deleted_parts(measure)
    if inbound:
        measure._change_reason = f"deleted with the relations of {', '.join(referrers)} to it"
        measure.inbound_relations.all().delete()
        _relations_changed(
            {pk for pk, _ in inbound},
            reason=f"relation to {measure.key} removed: {measure.key} deleted",
        )
    try:
        measure.delete()
    except RestrictedError as error:  # a relation to it was added since it was read
        added = sorted({str(relation.from_measure) for relation in error.restricted_objects})
        raise MeasureInUse(measure, added) from error
    return referrers


def _relations_changed(measure_ids: set[int], *, reason: str) -> None:
    """Measures whose relations changed because the other measure was deleted or restored:
    a new ``updated_at`` (one UPDATE) and a history version each, saying why."""
    touch_measures(Q(pk__in=measure_ids))
    representation.refresh(measure_ids)
    for measure in Measure.objects.filter(pk__in=measure_ids).select_related("jurisdiction"):
        record_version(measure, created=False, reason=reason)


@transaction.atomic
def restore_version(version, *, reason: str | None = None) -> Measure:
    """Bring a measure back to ``version``, nested parts included. A deleted measure is
    recreated, with its first ``created_at`` and the relations others held to it when it was
    deleted (see ``_bring_back``)."""

    def lookup(model, field, values, name):
        found = {
            getattr(obj, field): obj for obj in model.objects.filter(**{f"{field}__in": values})
        }
        missing = [value for value in values if value not in found]
        if missing:
            raise ValidationError({name: f"No longer exists: {', '.join(missing)}."})
        return [found[value] for value in values]

    parts = version.parts
    measure = Measure.objects.filter(key=version.key).first() or Measure()
    recreated = measure.pk is None
    for name in FIELD_NAMES:
        if name != "jurisdiction":
            setattr(measure, name, getattr(version, name))
    measure.jurisdiction = lookup(Jurisdiction, "code", [parts["jurisdiction"]], "jurisdiction")[0]
    materials = lookup(Material, "slug", [m["material"] for m in parts["materials"]], "materials")
    related = lookup(Measure, "key", [r["measure"] for r in parts["related"]], "related")
    measure._change_reason = reason or f"restored version {version.history_id}"
    save_measure(
        measure,
        authorities=lookup(Authority, "slug", parts["authorities"], "authorities"),
        target_jurisdictions=lookup(
            Jurisdiction, "code", parts["target_jurisdictions"], "target_jurisdictions"
        ),
        sectors=lookup(Sector, "slug", parts["sectors"], "sectors"),
        materials=[
            MaterialLink(material, entry["scope"])
            for material, entry in zip(materials, parts["materials"], strict=True)
        ],
        events=[
            EventEntry.on(
                PartialDate.parse(e["date"]),
                e["type"],
                note=e["note"],
                source_url=e["source_url"],
                # Versions recorded before events had the flag hold facts.
                scheduled=e.get("scheduled", False),
            )
            for e in parts["events"]
        ],
        sources=[
            SourceEntry(
                url=s["url"],
                title=s["title"],
                publisher=s["publisher"],
                published_on=_date(s["published_on"]),
            )
            for s in parts["sources"]
        ],
        relations=[
            RelationEntry(other, entry["relation"])
            for other, entry in zip(related, parts["related"], strict=True)
        ],
    )
    if recreated:
        _bring_back(measure)
    return measure


def _bring_back(measure: Measure) -> None:
    """A recreated measure keeps its first ``created_at`` and gets back the relations other
    measures held to it when it was last deleted: from those that still exist, each with a
    history version saying why."""
    versions = Measure.history.filter(key=measure.key)
    deleted = versions.filter(history_type="-").order_by("-history_date", "-history_id").first()
    parts = deleted.parts if deleted is not None else {}
    created_at = parse_datetime(parts.get("created_at") or "") or (
        # Versions deleted before created_at was kept: the first version's time.
        versions.order_by("history_date").values_list("history_date", flat=True).first()
    )
    if created_at is not None:
        Measure.objects.filter(pk=measure.pk).update(created_at=created_at)
        measure.created_at = created_at
        representation.refresh([measure.pk])
    held = parts.get("referred_by", [])
    referrers = dict(
        Measure.objects.filter(key__in={entry["measure"] for entry in held}).values_list(
            "key", "pk"
        )
    )
    rows = [
        MeasureRelation(
            from_measure_id=referrers[entry["measure"]],
            to_measure=measure,
            relation=entry["relation"],
        )
        for entry in held
        if entry["measure"] in referrers
    ]
    if rows:
        MeasureRelation.objects.bulk_create(rows)
        _relations_changed(
            {row.from_measure_id for row in rows},
            reason=f"relation to {measure.key} restored: {measure.key} restored",
        )


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def create_measures(new: list[NewMeasure], *, batch_size: int = 1000) -> None:
    """Insert validated new measures (``NewMeasure.validate``) with their nested parts,
    derived events and in-force periods, one query per table and batch. As with
    ``record_history=False``, the caller records the versions (``history.record_versions``)."""
    for start in range(0, len(new), batch_size):
        batch = new[start : start + batch_size]
        for item in batch:
            recorded = {(row.date, row.type) for row in item.rows[MeasureEvent]}
            item.measure.has_suspension_events = any(t in SUSPENSION_EVENTS for _, t in recorded)
            item.rows[MeasureEvent] += [
                MeasureEvent(date=date, type=type_, date_precision=precision, derived=True)
                for date, type_, precision in item.measure.implied_events(recorded)
            ]
        Measure.objects.bulk_create([item.measure for item in batch])
        for name, target in (
            ("authorities", "authority"),
            ("target_jurisdictions", "jurisdiction"),
            ("sectors", "sector"),
        ):
            through = getattr(Measure, name).through
            through.objects.bulk_create(
                through(measure_id=item.measure.pk, **{f"{target}_id": related.pk})
                for item in batch
                for related in {related.pk: related for related in getattr(item, name)}.values()
            )
        for model in (MeasureMaterial, MeasureEvent, MeasureSource):
            rows = []
            for item in batch:
                for row in item.rows[model]:
                    row.measure = item.measure
                    rows.append(row)
            model.objects.bulk_create(rows)
        index_measures([item.measure.pk for item in batch])
        rebuild_in_force_periods(item.measure.pk for item in batch)
        representation.refresh(item.measure.pk for item in batch)
    bump_version()  # bulk writes send no signals
