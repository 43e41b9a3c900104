"""Dates known only to the month or the year.

A source often says only "March 2025" or "in 2026". Such a date is kept as the first day of its
period with a precision (day, month or year), and written in the reduced forms of ISO 8601:
``2025-03-14`` (day), ``2025-03`` (month), ``2025`` (year). Files, the API and history all use
these forms; the status rule reads the stored first day and says when a day falls inside an
uncertain period (``status.status_certain``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import models


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


# YYYY, YYYY-MM or YYYY-MM-DD: ISO 8601's calendar date and its reduced precisions, extended
# format. Python would also read 20250601 and the week date 2025-W22-7.
PARTIAL_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_PARTIAL_DATE = re.compile(PARTIAL_DATE_PATTERN[1:-1])
PARTIAL_DATE_FORMATS = "YYYY-MM-DD, YYYY-MM or YYYY"
# Plain strings for the comparisons made for every date of every page: reading an enum
# member off its class costs more than the comparison.
_YEAR, _MONTH = DatePrecision.YEAR.value, DatePrecision.MONTH.value


@dataclass(frozen=True, order=True)
class PartialDate:
    """A day, a month or a year: ``date`` is the first day of the period."""

    date: datetime.date
    precision: str = DatePrecision.DAY

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; ValueError saying why otherwise."""
        if not isinstance(text, str) or not _PARTIAL_DATE.fullmatch(text):
            raise ValueError(f"write a date as {PARTIAL_DATE_FORMATS}")
        parts = [int(part) for part in text.split("-")]
        precision = (DatePrecision.YEAR, DatePrecision.MONTH, DatePrecision.DAY)[len(parts) - 1]
        year, month, day = (*parts, 1, 1)[:3]
        try:
            return cls(datetime.date(year, month, day), precision)
        except ValueError as error:
            raise ValueError(f"{text} is not a date of the calendar ({error})") from None

    def __str__(self) -> str:
        return partial_date_text(self.date, self.precision)

    @property
    def last_day(self) -> datetime.date:
        return period_end(self.date, self.precision)


def partial_date_text(date: datetime.date | str | None, precision: str) -> str | None:
    """``date`` (a date, or its ISO text ``YYYY-MM-DD`` as SQLite stores it) in the reduced
    form its precision allows: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (None stays None)."""
    if date is None:
        return None
    text = date if isinstance(date, str) else date.isoformat()
    if precision == _YEAR:
        return text[:4]
    if precision == _MONTH:
        return text[:7]
    return text


def period_start(day: datetime.date, precision: str) -> datetime.date:
    """The first day of the month or year holding ``day`` (``day`` itself for a day)."""
    if precision == DatePrecision.YEAR:
        return day.replace(month=1, day=1)
    if precision == DatePrecision.MONTH:
        return day.replace(day=1)
    return day


def period_end(date: datetime.date, precision: str) -> datetime.date:
    """The last day of the period that starts on ``date``."""
    if precision == DatePrecision.YEAR:
        return date.replace(month=12, day=31)
    if precision == DatePrecision.MONTH:
        following = date.replace(day=28) + datetime.timedelta(days=4)
        return following - datetime.timedelta(days=following.day)
    return date


def starts_its_period(date: datetime.date, precision: str) -> bool:
    """Whether ``date`` is stored as its period's first day, as every imprecise date must be."""
    return period_start(date, precision) == date


def period_holds(date: datetime.date | None, precision: str, day: datetime.date) -> bool:
    """Whether ``day`` lies inside the period of an imprecise ``date`` (never for a day)."""
    return (
        date is not None and precision != DatePrecision.DAY and period_start(day, precision) == date
    )
