"""What an import found and did: problems (nothing is written), warnings, and per record
whether it was created, updated (with each field's old and new value) or unchanged."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..dataset import SECTIONS

# How many records a warning names in text before it only counts the rest.
NAMED_IN_TEXT = 5


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


MARKS = {Outcome.CREATED: "+", Outcome.UPDATED: "~"}


class WarningCode(StrEnum):
    UNKNOWN_FIELD = "unknown_field"
    UNDECLARED_AUTHORITY = "undeclared_authority"


# The model behind each section, for the permissions an import needs.
SECTION_MODELS = {
    "jurisdictions": "jurisdiction",
    "authorities": "authority",
    "sectors": "sector",
    "materials": "material",
    "measures": "measure",
}


@dataclass(frozen=True)
class Problem:
    """Why a record cannot load: ``where`` names the record (``measures[cn-x]``), ``field``
    the field inside it (``materials.0``)."""

    where: str
    field: str
    message: str

    @property
    def attr(self) -> str:
        """Record and field as one path, as the API names them."""
        if not self.where:
            return self.field
        return self.where if self.field == "record" else f"{self.where}.{self.field}"

    def __str__(self) -> str:
        return f"{self.where}: {self.field}: {self.message}" if self.where else self.message


class LoadError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class LoadWarning:
    """Something the import ignored or guessed, said once for all the records it concerns:
    ``field`` is the field in those records it is about."""

    code: str
    field: str
    message: str
    records: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        named = ", ".join(self.records[:NAMED_IN_TEXT])
        more = len(self.records) - NAMED_IN_TEXT
        return f"{self.message}: {named}" + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    section: str
    identity: str
    outcome: Outcome
    changes: list[FieldChange] = field(default_factory=list)
    note: str = ""


@dataclass
class ImportReport:
    """Every record the import touched, by section and identity; the same for a dry run and a
    real one."""

    records: dict[str, dict[str, RecordChange]] = field(
        default_factory=lambda: {section: {} for section in SECTIONS}
    )
    warnings: list[LoadWarning] = field(default_factory=list)
    dry_run: bool = False

    def record(self, change: RecordChange) -> None:
        """Keep one entry per record: a record applied in two steps (a material's fields, then
        its groups) keeps the first step's outcome unless only the second changed anything,
        and the changes of both."""
        known = self.records[change.section].get(change.identity)
        if known is None:
            self.records[change.section][change.identity] = change
            return
        if change.outcome is not Outcome.UNCHANGED and known.outcome is Outcome.UNCHANGED:
            known.outcome = change.outcome
        known.changes += change.changes

    def counts(self, section: str) -> Counter:
        return Counter(str(change.outcome) for change in self.records[section].values())

    def changes(self) -> list[RecordChange]:
        return [
            change
            for section in SECTIONS
            for change in self.records[section].values()
            if change.outcome is not Outcome.UNCHANGED
        ]

    @property
    def changed(self) -> bool:
        return bool(self.changes())

    def permissions_needed(self) -> set[str]:
        """The Django permissions a user needs for this import: to add what it creates and
        to change what it updates, kind by kind."""
        needed = set()
        for section, model in SECTION_MODELS.items():
            counts = self.counts(section)
            if counts["created"]:
                needed.add(f"timeline.add_{model}")
            if counts["updated"]:
                needed.add(f"timeline.change_{model}")
        return needed

    def lines(self, *, details: bool = True) -> list[str]:
        """The summary a person reads: counts per section, then (with ``details``) each
        created or updated record with its changed fields, old → new."""
        lines = []
        for section in SECTIONS:
            counts = self.counts(section)
            if not counts:
                continue
            lines.append(
                f"{section}: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['unchanged']} unchanged"
            )
            if not details:
                continue
            for change in self.records[section].values():
                if change.outcome is Outcome.UNCHANGED:
                    continue
                note = f" ({change.note})" if change.note else ""
                lines.append(f"  {MARKS[change.outcome]} {change.identity}{note}")
                if change.outcome is Outcome.UPDATED:
                    for field_change in change.changes:
                        lines += _field_lines(field_change)
        if self.warnings:
            lines.append(f"{len(self.warnings)} warning(s):")
            lines += [f"  {warning}" for warning in self.warnings]
        return lines

    def as_dict(self) -> dict:
        """The report as JSON-ready data, as the import endpoint answers."""
        return {
            "dry_run": self.dry_run,
            "sections": {
                section: {outcome.value: self.counts(section)[outcome.value] for outcome in Outcome}
                for section in SECTIONS
            },
            "changes": [
                {
                    "section": change.section,
                    "record": change.identity,
                    "outcome": change.outcome.value,
                    "note": change.note,
                    "fields": [
                        {"field": c.field, "old": c.old, "new": c.new} for c in change.changes
                    ],
                }
                for change in self.changes()
            ],
            "warnings": [
                {"code": str(w.code), "field": w.field, "detail": w.message, "records": w.records}
                for w in self.warnings
            ],
        }


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _field_lines(change: FieldChange) -> list[str]:
    """``field: old → new``; a list shows the items it lost (-) and gained (+)."""
    if not (isinstance(change.old, list) and isinstance(change.new, list)):
        return [f"      {change.field}: {_shown(change.old)} → {_shown(change.new)}"]
    removed = [item for item in change.old if item not in change.new]
    added = [item for item in change.new if item not in change.old]
    if not removed and not added:
        return [f"      {change.field}: reordered → {_shown(change.new)}"]
    return [
        f"      {change.field}:",
        *(f"        - {_shown(item)}" for item in removed),
        *(f"        + {_shown(item)}" for item in added),
    ]
