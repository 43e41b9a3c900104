"""Read datasets into the timeline. One module per format turns a file into records (``json``:
the dataset's files and backups; ``csv``: one row per measure, from a spreadsheet), and
``importer`` validates and applies them the same way whatever the format: atomically, with a
field-level report of what changed and warnings for what it ignored."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction

from ..dataset import DEMO_FILES
from . import csv, json
from .importer import LOAD_REASON, REASON_LENGTH, Importer
from .report import ImportReport, LoadError, LoadWarning, Outcome, Problem, WarningCode

__all__ = [
    "DEMO_FILES",
    "FORMATS",
    "LOAD_REASON",
    "REASON_LENGTH",
    "ImportReport",
    "LoadError",
    "LoadWarning",
    "Outcome",
    "Problem",
    "WarningCode",
    "format_of",
    "load",
    "parse",
    "read_documents",
]

READERS = {"json": json.read, "csv": csv.read}
FORMATS = tuple(READERS)


def format_of(name: str) -> str:
    """The format a file name says: ``.csv`` is CSV, anything else JSON."""
    return "csv" if Path(name).suffix.lower() == ".csv" else "json"


def parse(data: bytes, format: str, source: str) -> dict:
    """One document from the bytes of a file in ``format``."""
    return READERS[format](data, source)


def read_documents(paths: Iterable[Path | str], format: str | None = None) -> list[dict]:
    documents = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise LoadError([Problem("", "file", f"{path}: {error.strerror}")]) from error
        documents.append(parse(data, format or format_of(str(path)), str(path)))
    return documents


def load(
    documents: Iterable[dict],
    *,
    dry_run: bool = False,
    strict: bool = False,
    reason: str | None = None,
    user=None,
    before_commit: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Load every section of every document in one transaction; any problem (and, with
    ``strict``, any warning) writes nothing. ``before_commit`` sees the report while the
    transaction can still be rolled back, and may raise to refuse it (the API checks
    permissions on what the file would create there). History records ``user`` and
    ``reason``."""
    with transaction.atomic():
        importer = Importer(reason=reason, user=user)
        report = importer.run(documents, strict=strict)
        report.dry_run = dry_run
        if importer.problems:
            raise LoadError(importer.problems)
        if before_commit is not None:
            before_commit(report)
        if dry_run:
            transaction.set_rollback(True)
    return report
