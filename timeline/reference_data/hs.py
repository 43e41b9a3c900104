"""The Harmonized System nomenclature, 2022 edition, as shipped in ``hs/`` (see its README for
the source and licence): read, checked and loaded into the ``HSCode`` table."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps as django_apps

from ..models import HSLevel
from ..versioning import bump_version
from . import SyncReport

HS_FILE = Path(__file__).resolve().parent / "hs" / "harmonized-system.csv"
# UN Comtrade's additions, outside the WCO's sections: the root row every chapter names as its
# parent, and chapter 99 "commodities not specified according to kind" (99, 9999, 999999). The
# WCO reserves chapters 98 and 99 for each customs territory's own use, so they are not loaded.
ROOT = "TOTAL"
LEVELS = {"2": HSLevel.CHAPTER, "4": HSLevel.HEADING, "6": HSLevel.SUBHEADING}


@dataclass(frozen=True)
class NomenclatureEntry:
    code: str
    level: str
    description: str
    parent: str | None


def read_nomenclature(path: Path) -> dict[str, NomenclatureEntry]:
    """Every chapter, heading and subheading in the file, by code, parents before children,
    without the rows of section TOTAL (see ``ROOT``). A file that breaks the nomenclature's
    shape (a code whose length is not its level's, a parent that is not the code's own prefix
    one level up) raises ValueError naming the line."""
    entries: dict[str, NomenclatureEntry] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for line, row in enumerate(csv.DictReader(file), start=2):
            code, parent = row["hscode"], row["parent"]
            if row["section"] == ROOT:
                continue
            level = LEVELS.get(row["level"])
            expected_parent = ROOT if len(code) == 2 else code[: len(code) - 2]
            if (
                level is None
                or not (code.isascii() and code.isdigit())
                or len(code) != int(row["level"])
            ):
                raise ValueError(f"{path.name} line {line}: {code!r} is not a code of its level")
            if parent != expected_parent or (parent != ROOT and parent not in entries):
                raise ValueError(f"{path.name} line {line}: {code} has parent {parent!r}")
            if code in entries:
                raise ValueError(f"{path.name} line {line}: {code} is listed twice")
            entries[code] = NomenclatureEntry(
                code, level, row["description"].strip(), None if parent == ROOT else parent
            )
    return entries


def sync_hs_codes(*, apps=django_apps, path: Path | None = None) -> SyncReport:
    """Make the ``HSCode`` table hold exactly the file's entries: create, update and delete
    what differs, so running it again changes nothing. Material codes are text, not keys, so
    a deleted code leaves materials as they are (the command reports those it invalidates)."""
    model = apps.get_model("timeline", "HSCode")
    report = SyncReport("HS codes")
    wanted = read_nomenclature(path or HS_FILE)
    existing = {row.code: row for row in model.objects.all()}
    created, updated = [], []
    for code, entry in wanted.items():
        values = {"level": entry.level, "description": entry.description, "parent_id": entry.parent}
        row = existing.get(code)
        if row is None:
            created.append(model(code=code, **values))
            report.created.append(code)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            updated.append(row)
            report.updated.append(code)
        else:
            report.unchanged += 1
    model.objects.bulk_create(created, batch_size=500)
    model.objects.bulk_update(updated, ["level", "description", "parent_id"], batch_size=500)
    removed = sorted(set(existing) - set(wanted))
    model.objects.filter(code__in=removed).delete()
    report.deleted += removed
    if report.changed:
        bump_version(apps.get_model("timeline", "TimelineVersion"))
    return report
