"""The one validation and apply path every import takes, whatever the file's format.

A load has two steps, inside one transaction:

1. **Declare.** Every record of every document becomes the declaration of one record, by its
   identity (a jurisdiction's code, a measure's key, the other kinds' slug). A record may be
   declared more than once (by two files, or a material inline in a measure's list) as long as
   the declarations agree. Fields the format does not know are set aside as warnings.
2. **Apply.** Section by section, in the order of ``SECTION_TABLE``, each declaration is
   compared with the database in the dataset's words (``timeline.dataset``) and the record is
   created, updated field by field, or left as it is. A field a record does not carry is left
   as it is. Each record runs in a savepoint, so one bad record is reported by key and field
   while the others are still checked; any problem rolls the whole load back.

Measures may name authorities, sectors and materials the database does not have yet: an
authority is created under the measure's jurisdiction (and reported, since its full name is a
guess), a sector from its words, a material when the measure's entry gives its category.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from ..dataset import (
    EVENT_TYPE_ALIASES,
    FIELDS,
    NESTED_FIELDS,
    SECTIONS,
    SOURCE_URL,
    authority_record,
    event_record,
    jurisdiction_record,
    material_fields,
    measure_record,
    measures_with_parts,
    sector_record,
)
from ..history import record_versions
from ..models import (
    MEASURE_DATE_FIELDS,
    Authority,
    Jurisdiction,
    Material,
    MaterialCategory,
    Measure,
    Sector,
    normalize_hs_code,
    normalize_jurisdiction_code,
)
from ..precision import PARTIAL_DATE_FORMATS, PartialDate
from ..representation import store as representation
from ..services import (
    EventEntry,
    MaterialLink,
    NewMeasure,
    RelationEntry,
    SourceEntry,
    create_measures,
    save_measure,
)
from ..versioning import bump_version
from .report import (
    FieldChange,
    ImportReport,
    LoadWarning,
    Outcome,
    Problem,
    RecordChange,
    WarningCode,
)

LOAD_REASON = "load_timeline"
# The history keeps a change's reason in 100 characters.
REASON_LENGTH = 100
# Fields that make a measure's material entry a definition of the material, not only a name.
DEFINING_MATERIAL_FIELDS = (
    "category",
    "symbol",
    "atomic_number",
    "cas_number",
    "hs_codes",
    "groups",
)
# How many rows one query reads back when comparing measures with the file.
CHUNK = 500
# A record nests three levels at most (a measure's events, each an object).
MAX_DEPTH = 10


@dataclass(frozen=True)
class Section:
    """A section of the format: its records are of one kind, identified by
    ``identify_<kind>`` and applied by ``apply_<kind>``, with optional steps before and after
    the section's records."""

    name: str
    kind: str
    before: str | None = None
    after: str | None = None


SECTION_TABLE = (
    Section("jurisdictions", "jurisdiction"),
    Section("authorities", "authority", after="create_named_authorities"),
    Section("sectors", "sector", after="create_named_sectors"),
    Section("materials", "material", before="check_unique_materials", after="apply_groups"),
    Section("measures", "measure", after="finish_measures"),
)
KINDS = {section.name: section.kind for section in SECTION_TABLE}
assert tuple(KINDS) == SECTIONS


class RecordError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class AlreadyReported(Exception):
    """The record needs one whose problem is reported already: saying it again adds nothing."""


@dataclass
class Declaration:
    """One record as the load means it, merged from every place that declared it. ``origins``
    says where each field was given, as (record, path prefix): a material defined inside a
    measure is reported at ``measures[key]``, ``materials.0.<field>``."""

    section: str
    identity: str
    where: str
    prefix: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, tuple[str, str]] = field(default_factory=dict)
    inline_only: bool = False

    def place(self, name: str) -> tuple[str, str]:
        where, prefix = self.origins.get(name.split(".")[0], (self.where, self.prefix))
        return where, (prefix.rstrip(".") or "record") if name == "record" else prefix + name


class Importer:
    def __init__(self, *, reason: str | None = None, user=None) -> None:
        self.reason = reason or LOAD_REASON
        self.user = user
        self.report = ImportReport()
        self.problems: list[Problem] = []
        self.declared: dict[str, dict[str, Declaration]] = {s: {} for s in SECTIONS}
        self.unknown: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.undeclared: list[LoadWarning] = []
        self.failed: dict[str, set[str]] = {section: set() for section in SECTIONS}
        self.jurisdictions = {j.code: j for j in Jurisdiction.objects.all()}
        self.authorities = {a.slug: a for a in Authority.objects.select_related("jurisdiction")}
        self.sectors = {s.slug: s for s in Sector.objects.all()}
        self.materials = {m.slug: m for m in Material.objects.all()}
        self.material_names = {m.name: slug for slug, m in self.materials.items()}
        self.declared_material_names: dict[str, str] = {}
        self._index_authorities()
        # Filled before the measures are applied.
        self.current_ids: dict[str, int] = {}
        self.current_records: dict[str, dict] = {}
        self.existing_keys: set[str] = set()
        self.written: dict[str, tuple[Measure, bool]] = {}
        self.new_measures: list[NewMeasure] = []
        self.pending: dict[str, dict] = {}

    # ================================================================ the run
    def run(self, documents: Iterable[dict], *, strict: bool = False) -> ImportReport:
        documents = list(documents)
        self.declare(documents)
        self.read_current_measures()
        for section in SECTION_TABLE:
            if section.before:
                getattr(self, section.before)()
            apply = getattr(self, f"apply_{section.kind}")
            for declaration in self.declared[section.name].values():
                self._in_savepoint(declaration, apply)
            if section.after:
                getattr(self, section.after)()
        self.report.warnings = self._warnings()
        if strict:
            self.problems += [
                Problem(where, warning.field, f"{warning.message} (strict: warnings are errors)")
                for warning in self.report.warnings
                for where in warning.records
            ]
        return self.report

    def _in_savepoint(self, declaration: Declaration, apply: Callable) -> None:
        try:
            with transaction.atomic():
                change = apply(declaration)
            if change is not None:
                self.report.record(change)
        except AlreadyReported:
            pass
        except (RecordError, ValidationError, DatabaseError) as error:
            self.failed[declaration.section].add(declaration.identity)
            if isinstance(error, RecordError):
                self._problem(declaration, error.field, error.message)
            elif isinstance(error, ValidationError):
                for name, messages in _messages(error).items():
                    self._problem(declaration, name, " ".join(messages))
            else:
                self._problem(declaration, "record", f"the database refused it: {error}")

    def _problem(self, declaration: Declaration, name: str, message: str) -> None:
        where, path = declaration.place(name)
        self.problems.append(Problem(where, path, message))

    def _stamp(self, instance) -> None:
        """Say who and why in the history row the save writes."""
        instance._change_reason = self.reason
        if self.user is not None:
            instance._history_user = self.user

    # ================================================================ step 1: declare
    def declare(self, documents: list[dict]) -> None:
        for document in documents:
            for name in document:
                if name not in SECTIONS:
                    self.unknown[("file", name)].append("file")
        for section in SECTIONS:
            for document in documents:
                records = document.get(section)
                if records is None:
                    continue
                if not isinstance(records, list):
                    self.problems.append(Problem("", section, "expected a list of records"))
                    continue
                for index, record in enumerate(records):
                    self._declare_record(section, index, record)

    def _declare_record(self, section: str, index: int, record: Any) -> None:
        where = f"{section}[{index}]"
        if not isinstance(record, dict):
            self.problems.append(Problem(where, "record", "expected an object"))
            return
        try:
            identity = getattr(self, f"identify_{KINDS[section]}")(record)
        except RecordError as error:
            identity, problem = None, Problem(where, error.field, error.message)
        if identity is not None and not _bad_text(identity):
            where = f"{section}[{identity}]"
        bad = _bad_text(record)
        if bad or identity is None:
            self.problems.append(Problem(where, *bad) if bad else problem)
            return
        values = {}
        for name, value in record.items():
            if name in FIELDS[section]:
                values[name] = value
            else:
                self.unknown[(section, name)].append(where)
        if section == "measures":
            values = self._declare_measure_parts(where, values)
        self._declare(section, identity, values, where)

    def _declare_measure_parts(self, where: str, record: dict) -> dict:
        """Set unknown fields of nested entries aside, and declare the materials a measure
        defines inline (an entry with a category, symbol, groups...)."""
        record = dict(record)
        for name, known in NESTED_FIELDS.items():
            entries = record.get(name)
            if not isinstance(entries, list):
                continue
            kept = []
            for entry in entries:
                if isinstance(entry, dict):
                    for key in entry.keys() - set(known):
                        self.unknown[("measures", f"{name}[].{key}")].append(where)
                    entry = {key: value for key, value in entry.items() if key in known}
                kept.append(entry)
            record[name] = kept
        for index, entry in enumerate(record.get("materials") or []):
            if not isinstance(entry, dict):
                continue
            defined = {k: entry[k] for k in DEFINING_MATERIAL_FIELDS if entry.get(k) is not None}
            if not defined:
                continue
            try:
                slug = self._material_identity(
                    entry.get("material") or entry.get("slug"), entry.get("name")
                )
            except RecordError as error:
                self.problems.append(
                    Problem(where, f"materials.{index}.{error.field}", error.message)
                )
                continue
            if slug not in self.materials and entry.get("name") is not None:
                defined["name"] = entry["name"]
            self._declare("materials", slug, defined, where, f"materials.{index}.", inline=True)
        return record

    def _declare(
        self, section: str, identity: str, values: dict, where: str, prefix: str = "", *,
        inline: bool = False,
    ) -> None:  # fmt: skip
        if section == "materials" and isinstance(values.get("name"), str):
            self.declared_material_names.setdefault(values["name"], identity)
        known = self.declared[section].get(identity)
        if known is None:
            self.declared[section][identity] = Declaration(
                section, identity, where, prefix, dict(values),
                dict.fromkeys(values, (where, prefix)), inline_only=inline,
            )  # fmt: skip
            return
        if not inline and known.inline_only:
            known.where, known.prefix, known.inline_only = where, prefix, False
        for name, value in values.items():
            if name not in known.values:
                known.values[name], known.origins[name] = value, (where, prefix)
            elif known.values[name] != value:
                other_where, other_prefix = known.origins[name]
                self.problems.append(
                    Problem(
                        where,
                        prefix + name,
                        f"{_shown(value)} here, but {_shown(known.values[name])} in "
                        f"{other_where}.{other_prefix}{name}: a record is defined once per load",
                    )
                )

    # ---------------------------------------------------------------- identities
    def identify_jurisdiction(self, record: dict) -> str:
        return normalize_jurisdiction_code(_required(record, "code"))

    def identify_authority(self, record: dict) -> str:
        slug = _text(record, "slug")
        if slug:
            return slug
        abbreviation = _text(record, "abbreviation")
        if not abbreviation:
            raise RecordError("abbreviation", "this field is required (or give a slug)")
        return self._authority_slug(abbreviation, _text(record, "jurisdiction"), "abbreviation")

    def identify_sector(self, record: dict) -> str:
        slug = _text(record, "slug") or slugify(_text(record, "name"))
        if not slug:
            raise RecordError("name", "this field is required (or give a slug)")
        return slug

    def identify_material(self, record: dict) -> str:
        return self._material_identity(record.get("slug"), record.get("name"))

    def identify_measure(self, record: dict) -> str:
        return _required(record, "key")

    def _material_identity(self, slug: Any, name: Any) -> str:
        """A material by slug, else by the name the database (or this load) knows it by."""
        if slug is not None:
            if not isinstance(slug, str) or not slug:
                raise RecordError("slug", f"expected a slug, got {_shown(slug)}")
            return slug
        if not isinstance(name, str) or not name.strip():
            raise RecordError("name", "name the material (or give its slug)")
        return (
            self.declared_material_names.get(name) or self.material_names.get(name) or slugify(name)
        )

    # ================================================================ step 2: apply
    def read_current_measures(self) -> None:
        """The measures the file defines as the database has them, in the dataset's words,
        and which measures its relations point to exist."""
        keys = list(self.declared["measures"])
        for chunk in _chunks(keys):
            for measure in measures_with_parts(Measure.objects.filter(key__in=chunk)):
                self.current_ids[measure.key] = measure.pk
                self.current_records[measure.key] = measure_record(measure)
        targets = {
            entry.get("key")
            for declaration in self.declared["measures"].values()
            for entry in _list_or_empty(declaration.values.get("related"))
            if isinstance(entry, dict) and isinstance(entry.get("key"), str)
        } - set(keys)
        for chunk in _chunks(sorted(targets)):
            self.existing_keys |= set(
                Measure.objects.filter(key__in=chunk).values_list("key", flat=True)
            )
        self.existing_keys |= set(self.current_ids)

    def _upsert(self, declaration, model, instance, *, identity: dict, wanted: dict, current,
                attributes=lambda values: values):  # fmt: skip
        """Create the record, or update the fields ``wanted`` (the dataset's words) where they
        differ from ``current(instance)``; validated, and saved only when something differs."""
        if instance is None:
            instance = model(**identity, **attributes(wanted))
            self._stamp(instance)
            instance.full_clean()
            instance.save()
            change = RecordChange(declaration.section, declaration.identity, Outcome.CREATED)
            return change, instance
        before = current(instance)
        changes = [
            FieldChange(name, before.get(name), value)
            for name, value in wanted.items()
            if before.get(name) != value
        ]
        if not changes:
            change = RecordChange(declaration.section, declaration.identity, Outcome.UNCHANGED)
            return change, instance
        for name, value in attributes({c.field: c.new for c in changes}).items():
            setattr(instance, name, value)
        self._stamp(instance)
        instance.full_clean()
        instance.save()
        change = RecordChange(declaration.section, declaration.identity, Outcome.UPDATED, changes)
        return change, instance

    # ---------------------------------------------------------------- jurisdictions
    def apply_jurisdiction(self, declaration: Declaration) -> RecordChange:
        code = declaration.identity
        existing = self.jurisdictions.get(code)
        wanted = _texts(declaration.values, ("name", "kind"))
        # A record without a kind keeps the one known: stored before, or built in.
        if not wanted.get("kind"):
            wanted["kind"] = existing.kind if existing else Jurisdiction.default_kind(code)
        change, self.jurisdictions[code] = self._upsert(
            declaration, Jurisdiction, self.jurisdictions.get(code),
            identity={"code": code}, wanted=wanted, current=jurisdiction_record,
        )  # fmt: skip
        return change

    # ---------------------------------------------------------------- authorities
    def apply_authority(self, declaration: Declaration) -> RecordChange:
        values = declaration.values
        wanted = _texts(values, ("abbreviation", "name", "website"))
        if "jurisdiction" in values:
            wanted["jurisdiction"] = self._jurisdiction(values["jurisdiction"], "jurisdiction").code

        def attributes(fields: dict) -> dict:
            if "jurisdiction" in fields:
                fields = {**fields, "jurisdiction": self.jurisdictions[fields["jurisdiction"]]}
            return fields

        change, authority = self._upsert(
            declaration, Authority, self.authorities.get(declaration.identity),
            identity={"slug": declaration.identity}, wanted=wanted, current=authority_record,
            attributes=attributes,
        )  # fmt: skip
        self.authorities[authority.slug] = authority
        return change

    def create_named_authorities(self) -> None:
        """Create the authorities measures name that no file declares, under the measure's
        jurisdiction (slug from the word, name = the word), and warn: their full names are
        unknown."""
        self._index_authorities()  # the declared ones are in
        named: dict[tuple[str, str], list[tuple[Declaration, int]]] = defaultdict(list)
        for declaration in self.declared["measures"].values():
            code = self._measure_jurisdiction_code(declaration)
            if code not in self.jurisdictions:
                continue  # the measure reports its jurisdiction
            for index, word in enumerate(_list_or_empty(declaration.values.get("authorities"))):
                if isinstance(word, str) and word.strip() and not self._authority(word, code):
                    named[(code, word)].append((declaration, index))
        for (code, word), places in named.items():
            first, index = places[0]
            records = [declaration.where for declaration, _ in places]
            try:
                slug = self._authority_slug(word, code, f"authorities.{index}")
                authority = Authority(
                    slug=slug, abbreviation=word, name=word, jurisdiction=self.jurisdictions[code]
                )
                self._stamp(authority)
                with transaction.atomic():
                    authority.full_clean()
                    authority.save()
            except RecordError as error:
                self._problem(first, error.field, error.message)
                continue
            except ValidationError as error:
                messages = " ".join(m for ms in _messages(error).values() for m in ms)
                self._problem(first, f"authorities.{index}", f"cannot create {word!r}: {messages}")
                continue
            self.authorities[slug] = authority
            self.by_abbreviation[word].append(authority)
            self.report.record(
                RecordChange(
                    "authorities",
                    slug,
                    Outcome.CREATED,
                    note=f"not declared; named by {records[0]}",
                )
            )
            self.undeclared.append(
                LoadWarning(
                    WarningCode.UNDECLARED_AUTHORITY,
                    "authorities",
                    f"authority {word!r} is not declared: created under {code} as {slug!r} "
                    f"with {word!r} for its name; declare it in the authorities section to "
                    "give its full name",
                    records,
                )
            )

    def _index_authorities(self) -> None:
        self.by_abbreviation: dict[str, list[Authority]] = defaultdict(list)
        for authority in self.authorities.values():
            self.by_abbreviation[authority.abbreviation].append(authority)

    def _authority(self, word: str, code: str | None) -> Authority | None:
        """The authority a measure means by ``word``: its abbreviation in the measure's
        jurisdiction, else its slug, else an abbreviation only one authority has."""
        matches = self.by_abbreviation.get(word, [])
        for authority in matches:
            if authority.jurisdiction.code == code:
                return authority
        if word in self.authorities:
            return self.authorities[word]
        return matches[0] if len(matches) == 1 else None

    def _authority_slug(self, abbreviation: str, code: str, field_name: str) -> str:
        existing = self._authority(abbreviation, code)
        if existing is not None and existing.jurisdiction.code == code:
            return existing.slug
        slug = slugify(abbreviation)
        if not slug:
            raise RecordError(
                field_name,
                f"cannot make a slug from {abbreviation!r}: declare the authority in the "
                "authorities section with a slug",
            )
        if slug in self.authorities and self.authorities[slug].jurisdiction.code != code:
            slug = slugify(f"{code}-{abbreviation}")
        return slug

    # ---------------------------------------------------------------- sectors
    def apply_sector(self, declaration: Declaration) -> RecordChange:
        slug = declaration.identity
        change, self.sectors[slug] = self._upsert(
            declaration, Sector, self.sectors.get(slug), identity={"slug": slug},
            wanted=_texts(declaration.values, ("name",)), current=sector_record,
        )  # fmt: skip
        return change

    def create_named_sectors(self) -> None:
        """Sectors are free words in a measure: create the ones not known yet."""
        for declaration in self.declared["measures"].values():
            for index, word in enumerate(_list_or_empty(declaration.values.get("sectors"))):
                slug = slugify(word) if isinstance(word, str) else ""
                if not slug or slug in self.sectors:
                    continue  # a bad word is the measure's problem
                sector = Sector(slug=slug, name=word)
                self._stamp(sector)
                try:
                    with transaction.atomic():
                        sector.full_clean()
                        sector.save()
                except ValidationError as error:
                    messages = " ".join(m for ms in _messages(error).values() for m in ms)
                    self._problem(declaration, f"sectors.{index}", messages)
                    continue
                self.sectors[slug] = sector
                self.report.record(
                    RecordChange(
                        "sectors", slug, Outcome.CREATED, note=f"named by {declaration.where}"
                    )
                )

    # ---------------------------------------------------------------- materials
    def check_unique_materials(self) -> None:
        """A symbol and a name each belong to one material. Check the state the load leads
        to, so that a file may move a symbol from one material to another, and say what to
        do when it would collide. Symbols that change are cleared first, so the order of the
        records does not matter."""
        wanted: dict[str, dict[str, str]] = {"symbol": {}, "name": {}}
        for declaration in self.declared["materials"].values():
            for name in wanted:
                value = declaration.values.get(name)
                if name in declaration.values and (value is None or isinstance(value, str)):
                    wanted[name][declaration.identity] = value or ""
        for name, changing in wanted.items():
            final = {slug: getattr(m, name) for slug, m in self.materials.items()}
            final.update(changing)
            holders = defaultdict(list)
            for slug, value in final.items():
                if value:
                    holders[value].append(slug)
            for value, slugs in holders.items():
                if len(slugs) < 2:
                    continue
                for slug in slugs:
                    if slug in changing and changing[slug] != getattr(
                        self.materials.get(slug), name, None
                    ):
                        others = [s for s in slugs if s != slug]
                        self._problem(
                            self.declared["materials"][slug],
                            name,
                            self._collision(name, value, slug, others),
                        )
        if self.problems:
            return
        releasing = [
            slug
            for slug, symbol in wanted["symbol"].items()
            if slug in self.materials and self.materials[slug].symbol not in ("", symbol)
        ]
        Material.objects.filter(slug__in=releasing).update(symbol="")

    def _collision(self, name: str, value: str, slug: str, others: list[str]) -> str:
        other = others[0]
        holder = self.materials.get(other)
        label = f"{holder.name} ({other})" if holder else other
        if other in self.declared["materials"] and name in self.declared["materials"][other].values:
            where, path = self.declared["materials"][other].place(name)
            return (
                f"{_shown(value)} is also given to {label} by {where}.{path}: a {name} belongs "
                f"to one material; give one of them another {name}"
            )
        return (
            f"{_shown(value)} is already the {name} of {label}: a {name} belongs to one "
            f"material. Give this material another {name}, or give {label} another (or no) "
            f"{name} in the same file's materials section, or first through the API "
            f"(PATCH /api/v1/materials/{other}/)"
        )

    def apply_material(self, declaration: Declaration) -> RecordChange:
        values = declaration.values
        instance = self.materials.get(declaration.identity)
        wanted = _texts(values, ("name", "category", "cas_number"))
        if "symbol" in values:
            wanted["symbol"] = _text(values, "symbol") or None
        if "atomic_number" in values:
            number = values["atomic_number"]
            if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
                raise RecordError("atomic_number", f"expected a whole number, got {_shown(number)}")
            wanted["atomic_number"] = number
        if "hs_codes" in values:
            codes = _list(values, "hs_codes")
            for index, code in enumerate(codes):
                if not isinstance(code, str):
                    raise RecordError(f"hs_codes.{index}", f"expected digits as text, got {code!r}")
            wanted["hs_codes"] = [normalize_hs_code(code) for code in codes]
        if instance is None:
            for required in ("name", "category"):
                if not wanted.get(required):
                    raise RecordError(
                        required,
                        f"needed to create the material {declaration.identity!r} (category: "
                        f"one of {', '.join(MaterialCategory.values)})",
                    )

        def attributes(fields: dict) -> dict:
            return {
                name: ("" if value is None and name in ("symbol", "cas_number") else value)
                for name, value in fields.items()
            }

        change, material = self._upsert(
            declaration, Material, instance, identity={"slug": declaration.identity},
            wanted=wanted, current=material_fields, attributes=attributes,
        )  # fmt: skip
        if declaration.inline_only:
            change.note = f"defined by {declaration.where}.{declaration.prefix.rstrip('.')}"
        self.materials[material.slug] = material
        self.material_names[material.name] = material.slug
        return change

    def apply_groups(self) -> None:
        """Group membership, once every material of the load exists."""
        if self.problems:
            return
        Membership = Material.groups.through
        current = defaultdict(set)
        for member, group in Membership.objects.values_list(
            "from_material__slug", "to_material__slug"
        ):
            current[member].add(group)
        for declaration in self.declared["materials"].values():
            if "groups" in declaration.values:
                self._in_savepoint(
                    declaration, lambda d: self._apply_groups(d, current[d.identity])
                )

    def _apply_groups(self, declaration: Declaration, current: set[str]) -> RecordChange | None:
        material = self.materials[declaration.identity]
        groups = [
            self._material(ref, f"groups.{index}", kind="group")
            for index, ref in enumerate(_list(declaration.values, "groups"))
        ]
        material.validate_groups(groups)
        wanted = sorted({group.slug for group in groups})
        if wanted == sorted(current):
            return None
        self._stamp(material)
        material.groups.set(groups)
        change = FieldChange("groups", sorted(current), wanted)
        return RecordChange("materials", material.slug, Outcome.UPDATED, [change])

    def _material(self, ref: Any, field_name: str, *, kind: str = "material") -> Material:
        """A material named by slug or name (as the file spells it)."""
        if isinstance(ref, str):
            slug = ref if ref in self.materials else self.material_names.get(ref, slugify(ref))
            if slug in self.materials:
                return self.materials[slug]
            if slug in self.failed["materials"]:
                raise AlreadyReported
        how = (
            "declare it in the materials section with category group"
            if kind == "group"
            else "declare it in the materials section, or give its category here to create it"
        )
        raise RecordError(field_name, f"unknown {kind} {_shown(ref)}: {how}")

    # ---------------------------------------------------------------- measures
    def apply_measure(self, declaration: Declaration) -> RecordChange:
        key = declaration.identity
        current = self.current_records.get(key)
        wanted, parts, later = self._measure_wanted(declaration, current)
        changes = []
        if current is not None:
            changes = [
                FieldChange(name, _plain(_comparable(name, current)), _plain(value))
                for name, value in {**wanted, **later}.items()
                if _comparable(name, current) != value
            ]
            if not changes:
                return RecordChange("measures", key, Outcome.UNCHANGED)
        is_new = current is None
        if is_new:
            measure = Measure(key=key, jurisdiction=self.jurisdictions[wanted["jurisdiction"]])
            self._set_fields(measure, wanted)
            new = NewMeasure(measure, **parts)
            new.validate()
            self.new_measures.append(new)
            self.written[key] = (measure, True)
        elif any(c.field in wanted for c in changes):
            measure = Measure.objects.get(pk=self.current_ids[key])
            self._set_fields(measure, wanted)
            save_measure(measure, **parts, record_history=False)
            self.written[key] = (measure, False)
        changed = {change.field for change in changes}
        pending = {k: v for k, v in later.items() if k in changed or (is_new and v)}
        if pending:
            self.pending[key] = pending
        outcome = Outcome.CREATED if is_new else Outcome.UPDATED
        return RecordChange("measures", key, outcome, [] if is_new else changes)

    def _set_fields(self, measure: Measure, wanted: dict) -> None:
        for name in ("title", "reference", "measure_type", "summary", "notes", "confidence"):
            if name in wanted:
                setattr(measure, name, wanted[name])
        for name in MEASURE_DATE_FIELDS:
            if name in wanted:
                value = PartialDate.parse(wanted[name]) if wanted[name] else None
                setattr(measure, name, value.date if value else None)
                setattr(measure, f"{name}_precision", value.precision if value else "day")
        if "jurisdiction" in wanted:
            measure.jurisdiction = self.jurisdictions[wanted["jurisdiction"]]
        self._stamp(measure)

    def _measure_jurisdiction_code(self, declaration: Declaration) -> str | None:
        code = declaration.values.get("jurisdiction")
        if code is None and declaration.identity in self.current_records:
            code = self.current_records[declaration.identity]["jurisdiction"]
        return code if isinstance(code, str) else None

    def _measure_wanted(self, declaration: Declaration, current: dict | None):
        """The measure's fields the record carries, in the dataset's words (for comparing and
        reporting), the nested lists as ``save_measure`` takes them, and what is applied once
        every measure exists (relations, restored timestamps)."""
        values = declaration.values
        wanted: dict[str, Any] = _texts(
            values, ("title", "reference", "measure_type", "summary", "notes")
        )
        if "confidence" in values or current is None:
            wanted["confidence"] = _text(values, "confidence") or "high"
        for name in MEASURE_DATE_FIELDS:
            if name in values:
                value = _partial_date(values[name], name)
                wanted[name] = str(value) if value else None
        if "jurisdiction" in values:
            wanted["jurisdiction"] = self._jurisdiction(values["jurisdiction"], "jurisdiction").code
        elif current is None:
            raise RecordError("jurisdiction", "this field is required")
        code = wanted.get("jurisdiction") or current["jurisdiction"]
        parts: dict[str, Any] = {}
        if "authorities" in values:
            parts["authorities"] = [
                self._named_authority(word, code, f"authorities.{index}")
                for index, word in enumerate(_list(values, "authorities"))
            ]
            wanted["authorities"] = sorted(a.slug for a in parts["authorities"])
        if "target_jurisdictions" in values:
            parts["target_jurisdictions"] = [
                self._jurisdiction(code, f"target_jurisdictions.{index}")
                for index, code in enumerate(_list(values, "target_jurisdictions"))
            ]
            wanted["target_jurisdictions"] = sorted(j.code for j in parts["target_jurisdictions"])
        if "sectors" in values:
            parts["sectors"] = [
                self._sector(word, f"sectors.{index}")
                for index, word in enumerate(_list(values, "sectors"))
            ]
            wanted["sectors"] = sorted(s.slug for s in parts["sectors"])
        if "materials" in values:
            scopes = {m["material"]: m["scope"] for m in (current or {}).get("materials", [])}
            parts["materials"] = [
                self._material_link(entry, index, scopes)
                for index, entry in enumerate(_list(values, "materials"))
            ]
            wanted["materials"] = sorted(
                (
                    {"material": link.material.slug, "scope": link.scope}
                    for link in parts["materials"]
                ),
                key=lambda entry: entry["material"],
            )
        if "events" in values:
            parts["events"] = [
                _event(entry, index) for index, entry in enumerate(_list(values, "events"))
            ]
            wanted["events"] = _sorted_events(
                event_record(
                    date=e.date,
                    type=e.type,
                    note=e.note,
                    source_url=e.source_url,
                    scheduled=e.scheduled,
                    date_precision=e.date_precision,
                )
                for e in parts["events"]
            )
        sources = None
        if "sources" in values:
            sources = [
                _source(entry, index) for index, entry in enumerate(_list(values, "sources"))
            ]
        main = _text(values, SOURCE_URL).strip()
        if main:
            if sources is None:
                sources = [
                    SourceEntry(s["url"], s["title"], s["publisher"], _date(s["published_on"], ""))
                    for s in (current or {}).get("sources", [])
                ]
            if main not in {source.url for source in sources}:
                sources.insert(0, SourceEntry(main))
        if sources is not None:
            parts["sources"] = sources
            wanted["sources"] = [
                {
                    "url": s.url,
                    "title": s.title,
                    "publisher": s.publisher,
                    "published_on": s.published_on.isoformat() if s.published_on else None,
                }
                for s in sources
            ]
        later: dict[str, Any] = {}
        if "related" in values:
            later["related"] = sorted(
                (
                    self._relation(entry, index)
                    for index, entry in enumerate(_list(values, "related"))
                ),
                key=lambda entry: (entry["key"], entry["relation"]),
            )
        now = timezone.now()
        for name in ("created_at", "updated_at"):
            if values.get(name) is not None:
                later[name] = _datetime(values[name], name)
                if later[name] > now:
                    # Clients sync by updated_at and If-Modified-Since: a stamp from the future
                    # would hide every later change from them until that moment.
                    raise RecordError(name, f"{values[name]} is later than now ({_plain(now)})")
        if later.keys() >= {"created_at", "updated_at"} and (
            later["created_at"] > later["updated_at"]
        ):
            raise RecordError("created_at", "is later than updated_at")
        return wanted, parts, later

    def _named_authority(self, word: Any, code: str, field_name: str) -> Authority:
        authority = self._authority(word, code) if isinstance(word, str) else None
        if authority is None:
            raise RecordError(field_name, f"unknown authority {_shown(word)}")
        return authority

    def _jurisdiction(self, code: Any, field_name: str) -> Jurisdiction:
        jurisdiction = (
            self.jurisdictions.get(normalize_jurisdiction_code(code))
            if isinstance(code, str)
            else None
        )
        if jurisdiction is None:
            raise RecordError(
                field_name,
                f"unknown jurisdiction {_shown(code)}: declare it in the jurisdictions section "
                "({code, name})",
            )
        return jurisdiction

    def _sector(self, word: Any, field_name: str) -> Sector:
        slug = slugify(word) if isinstance(word, str) else ""
        if slug not in self.sectors:
            raise RecordError(field_name, f"expected a sector name, got {_shown(word)}")
        return self.sectors[slug]

    def _material_link(self, entry: Any, index: int, scopes: dict[str, str]) -> MaterialLink:
        """A material of a measure, with its scope; an entry without a scope keeps the one the
        measure has (a spreadsheet row lists materials without scopes)."""
        field_name = f"materials.{index}"
        if isinstance(entry, str):
            entry = {"material": entry}
        if not isinstance(entry, dict):
            raise RecordError(field_name, f"expected a material, got {_shown(entry)}")
        ref = entry.get("material") or entry.get("slug") or entry.get("name")
        material = self._material(ref, field_name)
        scope = (
            _text(entry, "scope", f"{field_name}.scope")
            if "scope" in entry
            else scopes.get(material.slug, "")
        )
        return MaterialLink(material, scope)

    def _relation(self, entry: Any, index: int) -> dict:
        if not isinstance(entry, dict):
            raise RecordError(f"related.{index}", f"expected an object, got {_shown(entry)}")
        key = entry.get("key")
        if key not in self.existing_keys and key not in self.declared["measures"]:
            raise RecordError(f"related.{index}.key", f"unknown measure {_shown(key)}")
        return {"key": key, "relation": _text(entry, "relation", f"related.{index}.relation")}

    def finish_measures(self) -> None:
        """Once every measure is checked: insert the new ones in bulk, then apply relations
        (their targets may be new in this load) and the timestamps a backup carries (last, so
        the relations do not move them), then write one history version per measure."""
        if self.problems:
            return
        try:
            create_measures(self.new_measures)
        except DatabaseError as error:  # a measure of the same key saved meanwhile
            self.problems.append(Problem("measures", "record", f"the database refused: {error}"))
            return
        targets = {e["key"] for p in self.pending.values() for e in p.get("related", [])}
        measures = {}
        for chunk in _chunks(sorted(targets)):
            measures.update((m.key, m) for m in Measure.objects.filter(key__in=chunk))
        for key, pending in self.pending.items():
            declaration = self.declared["measures"][key]
            self._in_savepoint(declaration, lambda d, p=pending: self._apply_later(d, p, measures))
        if not self.problems and self.written:
            record_versions(list(self.written.values()), reason=self.reason, user=self.user)
            bump_version()  # restored timestamps are bulk updates: they send no signal

    def _apply_later(self, declaration: Declaration, pending: dict, measures: dict) -> None:
        key = declaration.identity
        measure, created = self.written.get(key) or (
            Measure.objects.get(pk=self.current_ids[key]),
            False,
        )
        if "related" in pending:
            relations = [
                RelationEntry(measures[e["key"]], e["relation"]) for e in pending["related"]
            ]
            save_measure(measure, relations=relations, record_history=False)
        stamps = {name: pending[name] for name in ("created_at", "updated_at") if name in pending}
        if stamps:
            Measure.objects.filter(pk=measure.pk).update(**stamps)
            representation.refresh([measure.pk])
            for name, value in stamps.items():
                setattr(measure, name, value)
        self.written[key] = (measure, created)

    # ================================================================ warnings
    def _warnings(self) -> list[LoadWarning]:
        warnings = []
        for (section, name), records in self.unknown.items():
            where = "the file's top level" if section == "file" else section
            message = f"unknown field {name!r} in {where}, ignored"
            warnings.append(
                LoadWarning(WarningCode.UNKNOWN_FIELD, name, message, list(dict.fromkeys(records)))
            )
        return warnings + self.undeclared


# ==================================================================== helpers
def _shown(value: Any, limit: int = 200) -> str:
    """A value quoted for a message: text as 'text', anything else as JSON."""
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            ("record" if name == "__all__" else name): messages
            for name, messages in error.message_dict.items()
        }
    return {"record": error.messages}


def _chunks(items: list) -> Iterable[list]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _bad_text(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The first string that no database can store: a NUL character (PostgreSQL refuses it)
    or a lone surrogate (not encodable as UTF-8); or nesting far deeper than any record's."""
    if depth > MAX_DEPTH:
        return path, "nested too deeply"
    if isinstance(value, str):
        if "\x00" in value:
            return path or "record", "text cannot contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "record", "text is not valid Unicode"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else ()  # fmt: skip
    for name, item in items:
        bad = _bad_text(str(name), path) if isinstance(name, str) else None
        bad = bad or _bad_text(item, f"{path}.{name}" if path else str(name), depth + 1)
        if bad:
            return bad
    return None


def _text(values: dict, name: str, field_name: str | None = None) -> str:
    value = values.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(field_name or name, f"expected text, got {_shown(value)}")
    return value


def _texts(values: dict, names: Iterable[str]) -> dict[str, str]:
    return {name: _text(values, name) for name in names if name in values}


def _required(values: dict, name: str) -> str:
    value = _text(values, name)
    if not value:
        raise RecordError(name, "this field is required")
    return value


def _list(values: dict, name: str) -> list:
    value = values.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordError(name, f"expected a list, got {_shown(value)}")
    return value


def _list_or_empty(value: Any) -> list:
    return value if isinstance(value, list) else []


def _date(value: Any, field_name: str) -> datetime.date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(field_name, f"expected an ISO date (YYYY-MM-DD), got {_shown(value)}")
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as error:
        raise RecordError(
            field_name, f"{value!r} is not a valid date: {error} (write YYYY-MM-DD)"
        ) from error


def _partial_date(value: Any, field_name: str) -> PartialDate | None:
    """A date known to the day, month or year (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(
            field_name, f"expected a date ({PARTIAL_DATE_FORMATS}), got {_shown(value)}"
        )
    try:
        return PartialDate.parse(value.strip())
    except ValueError as error:
        raise RecordError(field_name, f"{value!r} is not a valid date: {error}") from error


def _datetime(value: Any, field_name: str) -> datetime.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise RecordError(field_name, f"expected an ISO 8601 date-time, got {_shown(value)}")
    return timezone.make_aware(parsed, datetime.UTC) if timezone.is_naive(parsed) else parsed


def _event(entry: Any, index: int) -> EventEntry:
    if not isinstance(entry, dict):
        raise RecordError(f"events.{index}", f"expected an object, got {_shown(entry)}")
    date = _partial_date(entry.get("date"), f"events.{index}.date")
    if date is None:
        raise RecordError(f"events.{index}.date", "this field is required")
    type_ = _text(entry, "type", f"events.{index}.type")
    return EventEntry.on(
        date,
        str(EVENT_TYPE_ALIASES.get(type_, type_)),
        note=_text(entry, "note", f"events.{index}.note"),
        source_url=_text(entry, "source_url", f"events.{index}.source_url"),
        scheduled=_flag(entry, "scheduled", f"events.{index}.scheduled"),
    )


def _flag(values: dict, name: str, field_name: str) -> bool:
    """A true/false field; absent or null is false."""
    value = values.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RecordError(field_name, f"expected true or false, got {_shown(value)}")
    return value


def _sorted_events(events: Iterable[dict]) -> list[dict]:
    return sorted(
        events,
        key=lambda e: (e["date"], e["type"], e["note"], e["source_url"], e.get("scheduled", False)),
    )


def _source(entry: Any, index: int) -> SourceEntry:
    if not isinstance(entry, dict):
        raise RecordError(f"sources.{index}", f"expected an object, got {_shown(entry)}")
    return SourceEntry(
        url=_text(entry, "url", f"sources.{index}.url"),
        title=_text(entry, "title", f"sources.{index}.title"),
        publisher=_text(entry, "publisher", f"sources.{index}.publisher"),
        published_on=_date(entry.get("published_on"), f"sources.{index}.published_on"),
    )


def _plain(value: Any) -> Any:
    """A value as JSON shows it (timestamps as ISO 8601)."""
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def _comparable(name: str, record: dict) -> Any:
    """A current measure's field as the importer builds the wanted one."""
    value = record.get(name)
    if name == "materials":
        return [{"material": m["material"], "scope": m["scope"]} for m in value]
    if name == "events":
        return _sorted_events(value)
    if name in ("created_at", "updated_at"):
        return datetime.datetime.fromisoformat(value)
    return value
