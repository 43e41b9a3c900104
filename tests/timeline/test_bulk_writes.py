"""Large loads write new measures and their versions in bulk; what they write must be what the
one-by-one path writes."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from timeline.history import measure_parts, record_version, record_versions
from timeline.models import Authority, Jurisdiction, Material, Measure, Sector
from timeline.services import (
    EventEntry,
    MaterialLink,
    NewMeasure,
    SourceEntry,
    create_measures,
    save_measure,
)

D = datetime.date


def parts(jurisdiction) -> dict:
    return {
        "authorities": list(Authority.objects.filter(slug__in=["mofcom", "gac"])),
        "target_jurisdictions": list(Jurisdiction.objects.filter(code="US")),
        "sectors": list(Sector.objects.filter(slug="defence")),
        "materials": [MaterialLink(Material.objects.get(slug="gallium"), "metal")],
        "events": [
            EventEntry(D(2025, 1, 1), "announced", "recorded, so not derived again"),
            EventEntry(D(2025, 3, 1), "suspended"),
        ],
        "sources": [
            SourceEntry("https://example.org/a", "A"),
            SourceEntry("https://example.org/b"),
        ],
    }


def draft(key: str, jurisdiction) -> Measure:
    return Measure(
        key=key,
        title="A measure",
        jurisdiction=jurisdiction,
        measure_type="export_prohibition",
        announced_on=D(2025, 1, 1),
        effective_on=D(2025, 2, 1),
        ends_on=D(2026, 1, 1),
    )


def written(measure: Measure) -> tuple:
    measure.refresh_from_db()
    events = sorted(measure.events.values_list("date", "type", "note", "derived"))
    return (
        events,
        measure.has_suspension_events,
        {k: v for k, v in measure_parts(measure).items() if k != "key"},
    )


@pytest.fixture
def china(demo_data) -> Jurisdiction:
    return Jurisdiction.objects.get(code="CN")


def test_measures_created_in_bulk_are_what_save_measure_writes(china):
    one = draft("test-one-by-one", china)
    save_measure(one, **parts(china), record_history=False)
    many = draft("test-in-bulk", china)
    new = NewMeasure(many, **parts(china))
    new.validate()
    create_measures([new])
    assert written(many) == written(one)


def test_versions_written_in_bulk_are_what_record_version_writes(china):
    one, many = draft("test-one-by-one", china), draft("test-in-bulk", china)
    for measure in (one, many):
        save_measure(measure, **parts(china), record_history=False)
    record_version(one, created=True, reason="why")
    record_versions([(many, True)], reason="why")
    fields = ("history_type", "history_change_reason", "title", "effective_on", "parts")
    [single] = Measure.history.filter(key="test-one-by-one").values(*fields)
    [bulk] = Measure.history.filter(key="test-in-bulk").values(*fields)
    assert bulk == single


def test_bulk_validation_names_the_nested_field(china):
    new = NewMeasure(draft("test-in-bulk", china), events=[EventEntry(D(2025, 1, 1), "embargoed")])
    with pytest.raises(ValidationError) as raised:
        new.validate()
    assert list(raised.value.message_dict) == ["events.0.type"]
