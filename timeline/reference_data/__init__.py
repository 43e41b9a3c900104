"""Reference data RegWatch ships: every ISO 3166-1 country (from pycountry) with the blocs and
organisations that issue or receive measures, and the HS 2022 nomenclature. Migrations load
it into a fresh database; ``manage.py sync_reference_data`` brings an existing one up to date.
Both go through the ``sync_*`` functions here, which take the app registry so a migration can
pass its frozen models."""

from __future__ import annotations

from dataclasses import dataclass, field

SYNC_REASON = "sync_reference_data"


@dataclass
class SyncReport:
    """What a sync changed in one table, by code, for the command to print."""

    table: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def lines(self, most: int = 20) -> list[str]:
        """A summary line, then the changes (at most ``most`` of each sort) and notes."""
        lines = [
            f"{self.table}: {len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.deleted)} deleted, {self.unchanged} unchanged"
        ]
        for verb, entries in (
            ("created", self.created),
            ("updated", self.updated),
            ("deleted", self.deleted),
        ):
            lines += [f"  {verb} {entry}" for entry in entries[:most]]
            if len(entries) > most:
                lines.append(f"  ... and {len(entries) - most} more {verb}")
        lines += [f"  note: {note}" for note in self.notes]
        return lines
