"""Measures as CSV, one row each, in the columns ``load_timeline FILE.csv`` reads: a round
trip through a spreadsheet changes nothing.

Cells hold codes and slugs, lists joined by ``; ``. The file starts with a byte-order mark so
that Excel reads it as UTF-8 (names such as Türkiye survive), and uses Excel's quoting.
Nested parts a row cannot hold (events, relations, every source but the first, scopes) are
left out; loading the row back leaves them as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from ..dataset import CSV_COLUMNS, LIST_SEPARATOR, SOURCE_URL, measure_record, measures_with_parts

MEDIA_TYPE = "text/csv"
BYTE_ORDER_MARK = "\ufeff"


def row(record: dict) -> list[str]:
    """One measure record (``dataset.measure_record``) as CSV cells."""
    cells = {
        **record,
        "materials": [link["material"] for link in record["materials"]],
        SOURCE_URL: record["sources"][0]["url"] if record["sources"] else "",
    }
    return [
        f"{LIST_SEPARATOR} ".join(value) if isinstance(value, list) else value or ""
        for value in (cells[column] for column in CSV_COLUMNS)
    ]


def rows() -> Iterator[list[str]]:
    yield list(CSV_COLUMNS)
    for measure in measures_with_parts().iterator(chunk_size=2000):
        yield row(measure_record(measure))


def write(handle: TextIO) -> None:
    handle.write(BYTE_ORDER_MARK)
    csv.writer(handle).writerows(rows())
