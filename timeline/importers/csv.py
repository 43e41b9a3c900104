"""The CSV format: one row per measure, in the columns ``dataset.CSV_COLUMNS`` (what
``export_timeline --format csv`` writes), as a spreadsheet saves it.

UTF-8 with or without a byte-order mark (Excel's "CSV UTF-8" writes one), Excel's quoting
(cells with commas, quotes or line breaks in double quotes, quotes doubled), any line ending.
A comma separates cells; a header written with semicolons or tabs, as some locales' Excel
saves, is recognised from the header itself. List cells separate their items with ``;``.
Columns may be left out (all but ``key``): a measure keeps what it has for those; an empty
cell empties the field. Unknown columns are reported and ignored.
"""

from __future__ import annotations

import csv
import io

from ..dataset import CSV_COLUMNS, CSV_LIST_COLUMNS, LIST_SEPARATOR
from .report import LoadError, Problem

MEDIA_TYPE = "text/csv"
DELIMITERS = (",", ";", "\t")
# Cells whose surrounding spaces are never meant: identifiers, codes and dates.
TRIMMED = {"key", "jurisdiction", "measure_type", "announced_on", "effective_on", "ends_on",
           "source_url"}  # fmt: skip


def read(data: bytes, source: str) -> dict:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _error(
            "",
            "file",
            f"{source}: not UTF-8 text ({error.reason} at byte {error.start}); in Excel, "
            'save as "CSV UTF-8"',
        ) from error
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=lambda d: _known_columns(header_line.split(d)))
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, problems = [], []
    try:
        header = [name.strip().lower() for name in next(rows, [])]
        if "key" not in header:
            raise _error(
                "",
                "file",
                f"{source}: the first row must name the columns, key among them "
                f"({', '.join(CSV_COLUMNS)})",
            )
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise _error("", "file", f"{source}: columns named twice: {', '.join(repeated)}")
        for number, cells in enumerate(rows, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines spreadsheets leave at the end
            where = f"measures[row {number}]"
            if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
                problems.append(Problem(where, "record", "more cells than the header has columns"))
                continue
            record = _record(header, cells)
            if not record.get("key"):
                problems.append(Problem(where, "key", "every row needs a key"))
                continue
            records.append(record)
    except csv.Error as error:
        raise _error("", "file", f"{source}: line {rows.line_num}: {error}") from error
    if problems:
        raise LoadError(problems)
    return {"measures": records}


def _record(header: list[str], cells: list[str]) -> dict:
    record = {}
    cells = cells + [""] * (len(header) - len(cells))  # a short row: its last cells are empty
    for name, cell in zip(header, cells, strict=False):
        if name in CSV_LIST_COLUMNS:
            record[name] = [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]
        elif name in CSV_COLUMNS:
            record[name] = cell.strip() if name in TRIMMED else cell
        elif name and cell.strip():
            record[name] = cell  # unknown: the importer reports it by row
    return record


def _known_columns(names: list[str]) -> int:
    return sum(name.strip().strip('"').lower() in CSV_COLUMNS for name in names)


def _error(where: str, field: str, message: str) -> LoadError:
    return LoadError([Problem(where, field, message)])
