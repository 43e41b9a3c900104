"""Dates known only to the month or the year: how they are read, stored, and what the status
rule says on a day inside their period."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from timeline.models import Measure
from timeline.precision import DatePrecision, PartialDate, period_end
from timeline.services import EventEntry, save_measure
from timeline.status import MeasureStatus, status_certain

D = datetime.date
MONTH, YEAR, DAY = DatePrecision.MONTH, DatePrecision.YEAR, DatePrecision.DAY


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("2025-03-14", D(2025, 3, 14), DAY),
        ("2025-03", D(2025, 3, 1), MONTH),
        ("2025", D(2025, 1, 1), YEAR),
        ("2024-02-29", D(2024, 2, 29), DAY),
    ],
)
def test_a_date_reads_at_its_precision_and_writes_back_the_same(text, date, precision):
    value = PartialDate.parse(text)
    assert (value.date, value.precision) == (date, precision)
    assert str(value) == text


@pytest.mark.parametrize(
    "text", ["2025-13", "2025-02-30", "2025-3", "25-03", "2025/03", "202503", "2025-W10", ""]
)
def test_anything_else_is_refused_saying_why(text):
    with pytest.raises(ValueError, match=r"YYYY-MM-DD, YYYY-MM or YYYY|not a date of the calendar"):
        PartialDate.parse(text)


@pytest.mark.parametrize(
    ("start", "precision", "last"),
    [
        (D(2025, 2, 1), MONTH, D(2025, 2, 28)),
        (D(2024, 2, 1), MONTH, D(2024, 2, 29)),
        (D(2025, 12, 1), MONTH, D(2025, 12, 31)),
        (D(2025, 1, 1), YEAR, D(2025, 12, 31)),
        (D(2025, 6, 3), DAY, D(2025, 6, 3)),
    ],
)
def test_a_period_ends_on_its_last_day(start, precision, last):
    assert period_end(start, precision) == last


def certain_both_ways(measure: Measure, day: datetime.date) -> bool:
    """The model method (the pure rule) and the SQL annotation agree; their shared answer."""
    in_python = Measure.objects.prefetch_related("events").get(pk=measure.pk).status_certain_on(day)
    in_sql = Measure.objects.with_status(day).get(pk=measure.pk).status_certain
    assert in_python == in_sql, f"{day}: python says {in_python}, SQL says {in_sql}"
    return in_python


def status_in_sql(measure: Measure, day: datetime.date) -> str | None:
    return Measure.objects.with_status(day).get(pk=measure.pk).status


@pytest.fixture
def in_force_from_march(make_measure):
    """In force from "March 2025": the source gives no day."""
    return make_measure(effective_on=D(2025, 3, 1), effective_on_precision=MONTH)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "status", "certain"),
    [
        (D(2025, 2, 28), MeasureStatus.UPCOMING, True),
        (D(2025, 3, 1), MeasureStatus.IN_FORCE, False),
        (D(2025, 3, 17), MeasureStatus.IN_FORCE, False),
        (D(2025, 3, 31), MeasureStatus.IN_FORCE, False),
        (D(2025, 4, 1), MeasureStatus.IN_FORCE, True),
    ],
)
def test_inside_the_month_of_entry_into_force_it_is_in_force_but_uncertain(
    in_force_from_march, day, status, certain
):
    assert status_in_sql(in_force_from_march, day) == status
    assert certain_both_ways(in_force_from_march, day) is certain


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "status", "certain"),
    [
        (D(2024, 6, 30), MeasureStatus.IN_FORCE, True),
        (D(2025, 1, 1), MeasureStatus.ENDED, False),
        (D(2025, 12, 31), MeasureStatus.ENDED, False),
        (D(2026, 1, 1), MeasureStatus.ENDED, True),
    ],
)
def test_an_end_known_to_the_year_ends_it_on_the_first_of_january_uncertainly(
    make_measure, day, status, certain
):
    measure = make_measure(
        effective_on=D(2024, 1, 1), ends_on=D(2025, 1, 1), ends_on_precision=YEAR
    )
    assert status_in_sql(measure, day) == status
    assert certain_both_ways(measure, day) is certain


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "status", "certain"),
    [
        (D(2025, 10, 31), MeasureStatus.IN_FORCE, True),
        (D(2025, 11, 1), MeasureStatus.SUSPENDED, False),
        (D(2025, 11, 30), MeasureStatus.SUSPENDED, False),
        (D(2025, 12, 1), MeasureStatus.SUSPENDED, True),
    ],
)
def test_a_suspension_known_to_the_month_makes_that_month_uncertain(
    make_measure, day, status, certain
):
    measure = make_measure(effective_on=D(2024, 1, 1))
    save_measure(measure, events=[EventEntry(D(2025, 11, 1), "suspended", date_precision=MONTH)])
    assert status_in_sql(measure, day) == status
    assert certain_both_ways(measure, day) is certain


@pytest.mark.django_db
def test_an_imprecise_note_does_not_make_the_status_uncertain(make_measure):
    measure = make_measure(effective_on=D(2024, 1, 1))
    save_measure(measure, events=[EventEntry(D(2025, 1, 1), "note", date_precision=YEAR)])
    assert certain_both_ways(measure, D(2025, 6, 1)) is True


@pytest.mark.django_db
def test_dates_known_to_the_day_are_always_certain(make_measure):
    measure = make_measure(
        announced_on=D(2025, 3, 1), effective_on=D(2025, 4, 1), ends_on=D(2026, 1, 1)
    )
    for day in (D(2025, 3, 1), D(2025, 3, 15), D(2025, 4, 1), D(2026, 1, 1)):
        assert certain_both_ways(measure, day) is True


def test_the_pure_rule_reads_only_the_dates_that_decide_the_status():
    day = D(2025, 3, 10)
    assert status_certain(day, effective_on=(D(2025, 3, 1), MONTH)) is False
    assert status_certain(day, announced_on=(D(2025, 1, 1), YEAR)) is False
    assert status_certain(day, events=[(D(2025, 3, 1), "reinstated", MONTH)]) is False
    assert status_certain(day, events=[(D(2025, 3, 1), "amended", MONTH)]) is True
    assert status_certain(day, effective_on=(D(2025, 2, 1), MONTH)) is True


@pytest.mark.django_db
def test_an_imprecise_date_must_be_stored_as_the_first_day_of_its_period(jurisdiction):
    measure = Measure(
        key="mid-month",
        title="A measure",
        jurisdiction=jurisdiction,
        measure_type="export_licence_requirement",
        effective_on=D(2025, 3, 14),
        effective_on_precision=MONTH,
    )
    with pytest.raises(ValidationError) as error:
        measure.full_clean()
    assert "2025-03-01" in str(error.value.message_dict["effective_on"])


@pytest.mark.django_db
def test_derived_timeline_entries_keep_the_precision_of_the_dates(make_measure):
    measure = make_measure(
        announced_on=D(2025, 1, 1),
        announced_on_precision=YEAR,
        effective_on=D(2025, 3, 1),
        effective_on_precision=MONTH,
    )
    derived = set(measure.events.filter(derived=True).values_list("type", "date", "date_precision"))
    assert derived == {("announced", D(2025, 1, 1), YEAR), ("effective", D(2025, 3, 1), MONTH)}


def imprecise_file() -> dict:
    return {
        "measures": [
            {
                "key": "cn-2026-month",
                "title": "A control whose source gives only the month",
                "jurisdiction": "CN",
                "measure_type": "export_licence_requirement",
                "announced_on": "2026",
                "effective_on": "2026-03",
                "events": [
                    {"date": "2026-09", "type": "suspended", "note": "Reported in September."}
                ],
            }
        ]
    }


@pytest.mark.django_db
def test_a_file_with_months_and_years_loads_once_and_a_second_load_changes_nothing(db):
    from timeline.importers import load

    first = load([imprecise_file()])
    assert first.counts("measures") == {"created": 1}
    measure = Measure.objects.get(key="cn-2026-month")
    assert measure.partial_date("effective_on") == (D(2026, 3, 1), MONTH)
    assert measure.partial_date("announced_on") == (D(2026, 1, 1), YEAR)
    assert list(measure.events.filter(derived=False).values_list("date", "date_precision")) == [
        (D(2026, 9, 1), MONTH)
    ]
    second = load([imprecise_file()])
    assert not second.changed


@pytest.mark.django_db
def test_a_month_in_a_file_that_disagrees_with_a_day_reports_the_change(db):
    from timeline.importers import load

    load([imprecise_file()])
    document = imprecise_file()
    document["measures"][0]["effective_on"] = "2026-03-16"
    report = load([document], dry_run=True)
    change = report.records["measures"]["cn-2026-month"].changes
    assert [(c.field, c.old, c.new) for c in change] == [("effective_on", "2026-03", "2026-03-16")]


@pytest.mark.django_db
def test_an_export_writes_the_reduced_forms_and_loads_back_unchanged(db):
    from timeline.exporters.json import export_document
    from timeline.importers import load

    load([imprecise_file()])
    exported = export_document()
    (record,) = [m for m in exported["measures"] if m["key"] == "cn-2026-month"]
    assert (record["announced_on"], record["effective_on"]) == ("2026", "2026-03")
    assert record["events"][0]["date"] == "2026-09"
    assert not load([exported]).changed


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["2026-3", "March 2026", "2026-02-30", 2026])
def test_a_malformed_date_in_a_file_names_the_record_and_field(empty_timeline, value):
    from timeline.importers import LoadError, load

    document = imprecise_file()
    document["measures"][0]["effective_on"] = value
    with pytest.raises(LoadError) as error:
        load([document])
    (problem,) = error.value.problems
    assert (problem.where, problem.field) == ("measures[cn-2026-month]", "effective_on")
    assert not Measure.objects.filter(key="cn-2026-month").exists()


@pytest.mark.django_db
def test_a_spreadsheet_row_may_give_only_the_month_or_the_year(empty_timeline):
    from timeline.importers import load, parse

    text = (
        "key,title,jurisdiction,measure_type,announced_on,effective_on,ends_on\n"
        "us-2027-year,Ends some time in 2027,US,export_prohibition,2026-05-04,2026-06,2027\n"
    )
    load([parse(text.encode(), "csv", "sheet.csv")])
    measure = Measure.objects.get(key="us-2027-year")
    assert measure.partial_date("effective_on") == (D(2026, 6, 1), MONTH)
    assert measure.partial_date("ends_on") == (D(2027, 1, 1), YEAR)
    assert measure.partial_date("announced_on") == (D(2026, 5, 4), DAY)
