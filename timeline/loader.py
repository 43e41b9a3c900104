"""Load the curated dataset format into the database: validated, idempotent and atomic.

A document is a JSON object with any of the sections ``jurisdictions``, ``authorities``,
``sectors``, ``materials`` and ``measures`` (the format of the shared dataset, with the
reference sections added); sections load in that order, whatever file they come from.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from .history import record_version
from .models import (
    Authority,
    EventType,
    Jurisdiction,
    Material,
    Measure,
    Sector,
    normalize_hs_code,
    normalize_jurisdiction_code,
)
from .services import EventEntry, MaterialLink, RelationEntry, SourceEntry, save_measure

DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_FILES = [
    DEMO_DATA_DIR / name for name in ("reference.json", "materials.json", "measures.json")
]
LOAD_REASON = "load_timeline"
SECTIONS = ("jurisdictions", "authorities", "sectors", "materials", "measures")

# The dataset's event words that the model names differently.
EVENT_TYPE_ALIASES = {
    "suspension_ends": EventType.REINSTATED,
    "revoked": EventType.ENDED,
    "expired": EventType.ENDED,
}

MEASURE_KEYS = {
    "key", "title", "reference", "jurisdiction", "authorities", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "target_jurisdictions", "materials", "sectors",
    "events", "related", "sources", "confidence", "notes", "created_at", "updated_at",
}  # fmt: skip
MATERIAL_KEYS = {
    "slug",
    "name",
    "symbol",
    "atomic_number",
    "category",
    "groups",
    "hs_codes",
    "cas_number",
}
JURISDICTION_KEYS = {"code", "name", "kind"}
AUTHORITY_KEYS = {"slug", "name", "abbreviation", "jurisdiction", "website"}
SECTOR_KEYS = {"slug", "name"}


@dataclass(frozen=True)
class Problem:
    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}"


class LoadError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


OUTCOME_RANK = {"unchanged": 0, "updated": 1, "created": 2}


@dataclass
class LoadReport:
    """What happened to each record, by section and identity; a record touched twice (a
    measure's relations load in a second pass) keeps its strongest outcome."""

    outcomes: dict[str, dict[str, str]] = field(default_factory=lambda: {s: {} for s in SECTIONS})

    def record(self, section: str, identity: str, outcome: str) -> None:
        previous = self.outcomes[section].get(identity, "unchanged")
        self.outcomes[section][identity] = max(previous, outcome, key=OUTCOME_RANK.__getitem__)

    def counts(self, section: str) -> Counter:
        return Counter(self.outcomes[section].values())

    @property
    def changed(self) -> bool:
        return any(outcome != "unchanged" for o in self.outcomes.values() for outcome in o.values())

    def lines(self) -> list[str]:
        lines = []
        for section in SECTIONS:
            c = self.counts(section)
            if c:
                lines.append(
                    f"{section}: {c['created']} created, {c['updated']} updated, "
                    f"{c['unchanged']} unchanged"
                )
        return lines


class RecordError(Exception):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message


def read_documents(paths: Iterable[Path | str]) -> list[dict]:
    documents = []
    for path in paths:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise LoadError([Problem(str(path), "file", str(error))]) from error
        if not isinstance(document, dict) or not set(document) & set(SECTIONS):
            raise LoadError(
                [
                    Problem(
                        str(path), "file", f"expected an object with any of: {', '.join(SECTIONS)}"
                    )
                ]
            )
        documents.append(document)
    return documents


def load(documents: list[dict], *, dry_run: bool = False) -> LoadReport:
    """Load every section of every document in one transaction; any problem writes nothing."""
    with transaction.atomic():
        loader = _Loader()
        for section in SECTIONS:
            records = [record for document in documents for record in document.get(section) or []]
            if records:
                getattr(loader, f"load_{section}")(records)
        if loader.problems:
            raise LoadError(loader.problems)
        if dry_run:
            transaction.set_rollback(True)
    return loader.report


def _date(value: Any, field_name: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected an ISO date (YYYY-MM-DD), got {value!r}")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise RecordError(field_name, f"{value!r} is not a valid date: {error}") from error


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(name, f"expected text, got {value!r}")
    return value


def _list(record: dict, name: str) -> list:
    value = record.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(name, f"expected a list, got {value!r}")
    return value


class _Loader:
    def __init__(self) -> None:
        self.report = LoadReport()
        self.problems: list[Problem] = []
        self.jurisdictions = {j.code: j for j in Jurisdiction.objects.all()}
        self.authorities = list(Authority.objects.all())
        self.sectors = {s.slug: s for s in Sector.objects.all()}
        self.materials = {m.slug: m for m in Material.objects.all()}

    # ------------------------------------------------------------ helpers
    def _each(self, section: str, records: list, identify, handle) -> None:
        """Run ``handle`` on each record in a savepoint, collecting problems by record."""
        for index, record in enumerate(records):
            where = f"{section}[{index}]"
            try:
                if not isinstance(record, dict):
                    raise RecordError("record", "expected an object")
                identity = str(identify(record) or index)
                where = f"{section}[{identity}]"
                with transaction.atomic():
                    outcome = handle(record)
                self.report.record(section, identity, outcome)
            except RecordError as error:
                self.problems.append(Problem(where, error.field, error.message))
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    self.problems.append(Problem(where, name, " ".join(messages)))
            except DatabaseError as error:
                self.problems.append(Problem(where, "record", str(error)))

    @staticmethod
    def _check_keys(record: dict, allowed: set[str]) -> None:
        unknown = sorted(set(record) - allowed)
        if unknown:
            raise RecordError(unknown[0], f"unknown field (known: {', '.join(sorted(allowed))})")

    @staticmethod
    def _upsert(instance_or_none, model, lookup: dict, values: dict):
        """Create or update one row, validated; saves only when a value differs."""
        if instance_or_none is None:
            instance = model(**lookup, **values)
            instance._change_reason = LOAD_REASON
            instance.full_clean()
            instance.save()
            return instance, "created"
        instance = instance_or_none
        instance._change_reason = LOAD_REASON
        if all(getattr(instance, name) == value for name, value in values.items()):
            return instance, "unchanged"
        for name, value in values.items():
            setattr(instance, name, value)
        instance.full_clean()
        instance.save()
        return instance, "updated"

    def _jurisdiction(self, code: Any, field_name: str) -> Jurisdiction:
        jurisdiction = (
            self.jurisdictions.get(normalize_jurisdiction_code(code))
            if isinstance(code, str)
            else None
        )
        if jurisdiction is None:
            raise RecordError(field_name, f"unknown jurisdiction {code!r}")
        return jurisdiction

    def _material(self, entry: Any, field_name: str) -> Material:
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict):
            raise RecordError(field_name, f"expected a material, got {entry!r}")
        slug = entry.get("material") or entry.get("slug") or slugify(entry.get("name") or "")
        material = self.materials.get(slug)
        if material is None:
            raise RecordError(field_name, f"unknown material {entry.get('name') or slug!r}")
        symbol = entry.get("symbol")
        if symbol and symbol != material.symbol:
            raise RecordError(
                field_name,
                f"symbol {symbol!r} does not match {material.name} ({material.symbol or 'none'})",
            )
        return material

    # ------------------------------------------------------------ sections
    def load_jurisdictions(self, records: list) -> None:
        def handle(record):
            self._check_keys(record, JURISDICTION_KEYS)
            code = normalize_jurisdiction_code(_text(record, "code"))
            existing = self.jurisdictions.get(code)
            # A record without a kind keeps the one known: built in, or stored before.
            kind = _text(record, "kind") or (
                existing.kind if existing else Jurisdiction.default_kind(code)
            )
            jurisdiction, outcome = self._upsert(
                existing,
                Jurisdiction,
                {"code": code},
                {"name": _text(record, "name"), "kind": kind},
            )
            self.jurisdictions[code] = jurisdiction
            return outcome

        self._each("jurisdictions", records, lambda r: r.get("code"), handle)

    def load_authorities(self, records: list) -> None:
        def handle(record):
            self._check_keys(record, AUTHORITY_KEYS)
            abbreviation = _text(record, "abbreviation")
            slug = _text(record, "slug") or slugify(abbreviation or _text(record, "name"))
            existing = next((a for a in self.authorities if a.slug == slug), None)
            authority, outcome = self._upsert(
                existing,
                Authority,
                {"slug": slug},
                {
                    "name": _text(record, "name"),
                    "abbreviation": abbreviation,
                    "jurisdiction_id": self._jurisdiction(
                        record.get("jurisdiction"), "jurisdiction"
                    ).pk,
                    "website": _text(record, "website"),
                },
            )
            if existing is None:
                self.authorities.append(authority)
            return outcome

        self._each("authorities", records, lambda r: r.get("slug") or r.get("abbreviation"), handle)

    def _sector(self, word: Any, field_name: str) -> Sector:
        if not isinstance(word, str) or not slugify(word):
            raise RecordError(field_name, f"expected a sector name, got {word!r}")
        slug = slugify(word)
        if slug not in self.sectors:
            self.sectors[slug], outcome = self._upsert(None, Sector, {"slug": slug}, {"name": word})
            self.report.record("sectors", slug, outcome)
        return self.sectors[slug]

    def load_sectors(self, records: list) -> None:
        def handle(record):
            self._check_keys(record, SECTOR_KEYS)
            name = _text(record, "name")
            slug = _text(record, "slug") or slugify(name)
            self.sectors[slug], outcome = self._upsert(
                self.sectors.get(slug), Sector, {"slug": slug}, {"name": name}
            )
            return outcome

        self._each("sectors", records, lambda r: r.get("slug") or r.get("name"), handle)

    def load_materials(self, records: list) -> None:
        def identify(record):
            return record.get("slug") or slugify(record.get("name") or "")

        def handle(record):
            self._check_keys(record, MATERIAL_KEYS)
            slug = identify(record)
            atomic_number = record.get("atomic_number")
            if atomic_number is not None and (
                not isinstance(atomic_number, int) or isinstance(atomic_number, bool)
            ):
                raise RecordError(
                    "atomic_number", f"expected a whole number, got {atomic_number!r}"
                )
            self.materials[slug], outcome = self._upsert(
                self.materials.get(slug),
                Material,
                {"slug": slug},
                {
                    "name": _text(record, "name"),
                    "category": _text(record, "category"),
                    "symbol": _text(record, "symbol"),
                    "atomic_number": atomic_number,
                    "cas_number": _text(record, "cas_number"),
                    "hs_codes": [normalize_hs_code(code) for code in _list(record, "hs_codes")],
                },
            )
            return outcome

        self._each("materials", records, identify, handle)

        def handle_groups(record):
            material = self.materials[identify(record)]
            groups = [
                self._material(name, f"groups.{index}")
                for index, name in enumerate(_list(record, "groups"))
            ]
            material.validate_groups(groups)
            if set(material.groups.values_list("pk", flat=True)) == {g.pk for g in groups}:
                return "unchanged"
            material.groups.set(groups)
            return "updated"

        if not self.problems:
            self._each("materials", records, identify, handle_groups)

    def load_measures(self, records: list) -> None:
        measures = {m.key: m for m in Measure.objects.all()}
        # Measures written in this run, and whether they are new: one version each, at the end.
        written: dict[str, bool] = {}

        def handle(record):
            self._check_keys(record, MEASURE_KEYS)
            key = _text(record, "key")
            measure = measures.get(key) or Measure(key=key)
            measure._change_reason = LOAD_REASON
            is_new = measure.pk is None
            for name in ("title", "reference", "measure_type", "summary", "notes"):
                setattr(measure, name, _text(record, name))
            measure.confidence = _text(record, "confidence") or "high"
            for name in ("announced_on", "effective_on", "ends_on"):
                setattr(measure, name, _date(record.get(name), name))
            measure.jurisdiction = self._jurisdiction(record.get("jurisdiction"), "jurisdiction")
            changed = save_measure(
                measure,
                authorities=[
                    self._authority(word, measure.jurisdiction, f"authorities.{index}")
                    for index, word in enumerate(_list(record, "authorities"))
                ],
                target_jurisdictions=[
                    self._jurisdiction(code, f"target_jurisdictions.{index}")
                    for index, code in enumerate(_list(record, "target_jurisdictions"))
                ],
                sectors=[
                    self._sector(word, f"sectors.{index}")
                    for index, word in enumerate(_list(record, "sectors"))
                ],
                materials=[
                    MaterialLink(self._material(entry, f"materials.{index}"), _text(entry, "scope"))
                    for index, entry in enumerate(_list(record, "materials"))
                ],
                events=[
                    self._event(entry, index) for index, entry in enumerate(_list(record, "events"))
                ],
                sources=[
                    self._source(entry, index)
                    for index, entry in enumerate(_list(record, "sources"))
                ],
                record_history=False,
            )
            measures[key] = measure
            if changed:
                written[key] = is_new
            return "created" if is_new else ("updated" if changed else "unchanged")

        self._each("measures", records, lambda r: r.get("key"), handle)
        if self.problems:
            return

        def handle_relations(record):
            measure = measures[record["key"]]
            relations = []
            for index, entry in enumerate(_list(record, "related")):
                if not isinstance(entry, dict) or entry.get("key") not in measures:
                    target = entry.get("key") if isinstance(entry, dict) else entry
                    raise RecordError(f"related.{index}.key", f"unknown measure {target!r}")
                relations.append(RelationEntry(measures[entry["key"]], _text(entry, "relation")))
            if save_measure(measure, relations=relations, record_history=False):
                written.setdefault(measure.key, False)
            # Restored last, so the relations just written do not move updated_at.
            if _restore_timestamps(measure, record):
                written.setdefault(measure.key, False)
            if measure.key in written:
                record_version(measure, created=written[measure.key])
                return "updated"
            return "unchanged"

        self._each("measures", records, lambda r: r.get("key"), handle_relations)

    def _authority(self, word: Any, jurisdiction: Jurisdiction, field_name: str) -> Authority:
        if isinstance(word, str):
            for authority in self.authorities:
                if authority.abbreviation == word and authority.jurisdiction_id == jurisdiction.pk:
                    return authority
            for authority in self.authorities:
                if authority.slug == word or authority.abbreviation == word:
                    return authority
        raise RecordError(field_name, f"unknown authority {word!r}")

    @staticmethod
    def _event(entry: Any, index: int) -> EventEntry:
        if not isinstance(entry, dict):
            raise RecordError(f"events.{index}", "expected an object")
        type_ = _text(entry, "type")
        date = _date(entry.get("date"), f"events.{index}.date")
        if date is None:
            raise RecordError(f"events.{index}.date", "this field is required")
        return EventEntry(
            date=date,
            type=str(EVENT_TYPE_ALIASES.get(type_, type_)),
            note=_text(entry, "note"),
            source_url=_text(entry, "source_url"),
        )

    @staticmethod
    def _source(entry: Any, index: int) -> SourceEntry:
        if not isinstance(entry, dict):
            raise RecordError(f"sources.{index}", "expected an object")
        return SourceEntry(
            url=_text(entry, "url"),
            title=_text(entry, "title"),
            publisher=_text(entry, "publisher"),
            published_on=_date(entry.get("published_on"), f"sources.{index}.published_on"),
        )


def _restore_timestamps(measure: Measure, record: dict) -> bool:
    """Keep the created_at/updated_at an export carries (a backup restores history's clock)."""
    stamps = {}
    for name in ("created_at", "updated_at"):
        raw = record.get(name)
        if raw is None:
            continue
        value = parse_datetime(raw) if isinstance(raw, str) else None
        if value is None:
            raise RecordError(name, f"expected an ISO 8601 date-time, got {raw!r}")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, datetime.UTC)
        if getattr(measure, name) != value:
            stamps[name] = value
    if not stamps:
        return False
    Measure.objects.filter(pk=measure.pk).update(**stamps)
    for name, value in stamps.items():
        setattr(measure, name, value)
    return True
