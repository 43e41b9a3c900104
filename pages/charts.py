"""The timeline picture as plain data: where each measure's status periods, events, the years
and today fall across the chart, in percent of its width, for the templates to draw as SVG.

Statuses come from the status rule (``Measure.status_periods``, ``timeline/status.py``);
nothing here decides a status. A date known only to the month or the year (its precision) is
drawn at the first day of its period, as the rule reads it, with the rest of the period shaded
as uncertain and the date written in its reduced form (``2025-03``, ``2026``).
"""

from __future__ import annotations

import dataclasses
import datetime

from timeline.models import EventType, Measure
from timeline.precision import DatePrecision, partial_date_text, period_end
from timeline.status import MeasureStatus

DAY, MONTH, YEAR = DatePrecision.DAY, DatePrecision.MONTH, DatePrecision.YEAR

# How each status is drawn besides its colour (the legend says the same in words).
STATUS_PATTERNS = {
    MeasureStatus.UPCOMING: "dots",
    MeasureStatus.IN_FORCE: "solid",
    MeasureStatus.SUSPENDED: "cross-hatch",
    MeasureStatus.ENDED: "thin grey line",
}
# The shape of each event's mark (its <symbol> in the page's definitions).
EVENT_SHAPES = {
    EventType.ANNOUNCED: "circle",
    EventType.PUBLISHED: "square",
    EventType.EFFECTIVE: "triangle",
    EventType.AMENDED: "diamond",
    EventType.SUSPENDED: "pause",
    EventType.REINSTATED: "triangle",
    EventType.EXTENDED: "diamond",
    EventType.ENDED: "cross",
    EventType.NOTE: "tick",
}


def precision_of(record, field: str) -> str:
    """The precision of a record's date field (``effective_on`` reads
    ``effective_on_precision``, an event's ``date`` reads ``date_precision``)."""
    return getattr(record, f"{field}_precision", None) or DAY


def period_after(day: datetime.date, precision: str) -> datetime.date:
    """The first day after the period a date of this precision stands for."""
    return period_end(day, precision) + datetime.timedelta(days=1)


def written(day: datetime.date | None, precision: str = DAY) -> str:
    """A date as the API writes it: ``2025-03-14``, ``2025-03`` or ``2025``."""
    return partial_date_text(day, precision) or ""


@dataclasses.dataclass(frozen=True)
class Scale:
    """Whole years ``first_year`` to ``last_year`` across the chart's width."""

    first_year: int
    last_year: int

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.first_year, 1, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.last_year + 1, 1, 1)

    def x(self, day: datetime.date | None) -> float:
        """Percent of the width, clamped to the chart (None: its left edge)."""
        if day is None or day <= self.start:
            return 0.0
        if day >= self.end:
            return 100.0
        return round(100 * (day - self.start).days / (self.end - self.start).days, 3)

    def shows(self, day: datetime.date) -> bool:
        return self.start <= day < self.end

    def years(self) -> list[dict]:
        return [
            {"year": year, "x": self.x(datetime.date(year, 1, 1)),
             "mid": self.x(datetime.date(year, 7, 1))}
            for year in range(self.first_year, self.last_year + 1)
        ]  # fmt: skip


@dataclasses.dataclass
class Segment:
    x: float
    width: float
    status: str
    label: str
    confirmed: bool
    text: str


@dataclasses.dataclass
class Mark:
    x: float
    shape: str
    type: str
    label: str
    scheduled: bool
    text: str
    span_x: float | None = None  # an imprecise date: its whole period
    span_width: float | None = None


@dataclasses.dataclass
class Span:
    """The uncertain part of an imprecise date of the measure."""

    x: float
    width: float
    text: str


@dataclasses.dataclass
class Row:
    measure: Measure
    segments: list[Segment]
    marks: list[Mark]
    spans: list[Span]
    periods: str  # the status periods in words

    @property
    def description(self) -> str:
        """The row's text alternative."""
        return f"{self.measure.key}: {self.periods}"


def _dates_of(measure: Measure) -> list[datetime.date]:
    dates = [d for d in (measure.announced_on, measure.effective_on, measure.ends_on) if d]
    return dates + [event.date for event in measure.events.all()]


def scale_for(
    measures: list[Measure],
    today: datetime.date,
    first_year: int | None = None,
    last_year: int | None = None,
) -> Scale:
    """The years asked for, else every year a shown measure names, and today's."""
    years = [day.year for measure in measures for day in _dates_of(measure)] + [today.year]
    first = first_year if first_year is not None else min(years)
    last = last_year if last_year is not None else max(years)
    if first_year is not None and last_year is None:
        last = max(first, last)
    if last_year is not None and first_year is None:
        first = min(first, last)
    return Scale(first, last)


def _period_text(status_label: str, start: str, end: str, confirmed: bool) -> str:
    text = status_label
    text += f" from {start}" if start else ""
    text += f" until {end}" if end else ""
    return text + ("" if confirmed else " (rests on a scheduled event no source confirms yet)")


PRECISION_ORDER = (DAY, MONTH, YEAR)  # finest first


def _coarsest(pairs) -> dict[datetime.date, str]:
    known: dict[datetime.date, str] = {}
    for day, precision in pairs:
        if day is not None:
            known[day] = max(known.get(day, DAY), precision, key=PRECISION_ORDER.index)
    return known


def _precisions(measure: Measure):
    """How precisely each day a period starts or ends on is known: the precision of the
    measure's date falling on it (the coarsest, when two do), else of its events that day."""
    known = _coarsest((event.date, precision_of(event, "date")) for event in measure.events.all())
    fields = ("announced_on", "effective_on", "ends_on")
    known |= _coarsest((getattr(measure, field), precision_of(measure, field)) for field in fields)
    return lambda day: known.get(day, DAY)


def chart_row(measure: Measure, scale: Scale) -> Row:
    """One measure across the scale: its status periods, event marks and uncertain spans,
    and the same in words (the row's text alternative)."""
    precision_at = _precisions(measure)
    segments, words = [], []
    for period in measure.status_periods():
        label = MeasureStatus(period.status).label
        start = written(period.start, precision_at(period.start))
        end = written(period.end, precision_at(period.end))
        text = _period_text(label, start, end, period.confirmed)
        words.append(text)
        if period.end is not None and period.end <= scale.start:
            continue
        if period.start is not None and period.start >= scale.end:
            continue
        x0, x1 = scale.x(period.start), scale.x(period.end or scale.end)
        segments.append(
            Segment(x0, round(x1 - x0, 3), str(period.status), label, period.confirmed, text)
        )
    spans = []
    for field in ("announced_on", "effective_on", "ends_on"):
        day, precision = getattr(measure, field), precision_of(measure, field)
        if day is None or precision == DAY:
            continue
        x0, x1 = scale.x(day), scale.x(period_after(day, precision))
        if x1 > x0:
            name = field.replace("_on", "").replace("effective", "entry into force")
            spans.append(Span(x0, round(x1 - x0, 3), f"{name}: {written(day, precision)}"))
    marks = []
    for event in measure.events.all():
        precision = precision_of(event, "date")
        when = written(event.date, precision)
        label = EventType(event.type).label if event.type in EventType.values else event.type
        text = f"{when}: {label}" + (" (scheduled)" if event.scheduled else "")
        text += f" - {event.note}" if event.note else ""
        if not scale.shows(event.date):
            continue
        mark = Mark(scale.x(event.date), EVENT_SHAPES.get(event.type, "tick"), event.type,
                    label, event.scheduled, text)  # fmt: skip
        if precision != DAY:
            end = scale.x(period_after(event.date, precision))
            mark.span_x, mark.span_width = mark.x, round(end - mark.x, 3)
        marks.append(mark)
    periods = ("; ".join(words) or "not announced yet") + "."
    return Row(measure, segments, marks, spans, periods)
