"""CSV, Excel and NDJSON: the list's items as rows, streamed chunk by chunk."""

from __future__ import annotations

import csv
import datetime
import io
import re
import tempfile
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from api.renderers import ORJSONRenderer

from .base import Export, ExportRenderer, printable
from .columns import Column, Kind

# A cell starting with one of these is read as a formula by spreadsheets (OWASP, "CSV
# Injection"); such a cell is written with a leading apostrophe, which they show as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
FILE_BLOCK = 64 * 1024


def neutralised(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralised(value) if isinstance(value, str) else str(value)


class CSVRenderer(ExportRenderer):
    """RFC 4180 CSV, UTF-8: a header row, then one row per item (``columns.py``)."""

    media_type = "text/csv"
    format = "csv"
    attachment = True

    def stream(self, export: Export) -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([column.name for column in export.columns])
        for chunk in export.chunks:
            writer.writerows(
                [csv_cell(column.value(item)) for column in export.columns] for item in chunk
            )
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue().encode()


def excel_value(column: Column, value: object):
    """The typed value of a cell: a day as a date, a moment as a date and time (UTC, as Excel
    has no time zones), a reduced date (``2025-03``) as the text it is, never a formula."""
    if value is None or value == "":
        return None
    if column.kind is Kind.DATE and ISO_DAY.fullmatch(value):
        return datetime.date.fromisoformat(value)
    if column.kind is Kind.MOMENT:
        moment = datetime.datetime.fromisoformat(value)
        return moment.astimezone(datetime.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        return printable(value, lines=True)  # XML, in the workbook, cannot carry controls
    return value


class XLSXRenderer(ExportRenderer):
    """An Excel workbook (openpyxl's write-only mode, rows spooled to a temporary file): one
    sheet, a bold frozen header row, typed cells."""

    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"
    attachment = True
    strong_validator = False

    def stream(self, export: Export) -> Iterator[bytes]:
        workbook = Workbook(write_only=True)
        workbook.properties.creator = "RegWatch"
        workbook.properties.title = export.title
        stamp = export.last_modified.astimezone(datetime.UTC).replace(tzinfo=None)
        workbook.properties.created = workbook.properties.modified = stamp
        sheet = workbook.create_sheet(title=export.kind)
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header = []
        for column in export.columns:
            cell = WriteOnlyCell(sheet, value=column.name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for chunk in export.chunks:
            for item in chunk:
                sheet.append([self._cell(sheet, column, item) for column in export.columns])
        with tempfile.TemporaryFile() as file:
            workbook.save(file)
            file.seek(0)
            while block := file.read(FILE_BLOCK):
                yield block

    @staticmethod
    def _cell(sheet, column: Column, item: dict):
        value = excel_value(column, column.value(item))
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text that looks like a formula stays text
            return cell
        return value


class NDJSONRenderer(ExportRenderer):
    """Newline-delimited JSON: one line per item, each exactly the JSON list's item."""

    media_type = "application/x-ndjson"
    format = "ndjson"

    def stream(self, export: Export) -> Iterator[bytes]:
        json = ORJSONRenderer()
        for chunk in export.chunks:
            yield b"".join(json.render(item) + b"\n" for item in chunk)
