import datetime

import pytest
from django.db import models

from timeline.counts import counts_differing
from timeline.importers import DEMO_FILES, load, read_documents
from timeline.models import (
    Authority,
    Jurisdiction,
    Material,
    MaterialCategory,
    Measure,
    MeasureType,
    Sector,
)
from timeline.reference_data.jurisdictions import reference_jurisdictions
from timeline.services import EventEntry, MaterialLink, save_measure


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the bundled, cited demo dataset once, through the real loader; each test runs in
    a transaction that is rolled back, so every test starts from it."""
    with django_db_blocker.unblock():
        load(read_documents(DEMO_FILES))


@pytest.fixture
def demo_data(db) -> None:
    """Says a test reads the demo dataset (loaded once per session)."""


def empty_the_timeline() -> None:
    """Delete every record, as in a freshly migrated database: the built-in reference data
    (countries, blocs, the HS nomenclature) stays, as the migrations put it there."""
    Measure.objects.all().delete()
    for model in (Material, Authority, Sector):
        model.objects.all().delete()
    Jurisdiction.objects.exclude(code__in=reference_jurisdictions()).delete()


@pytest.fixture
def empty_timeline(db) -> None:
    """Start from an empty timeline (undone with the test's transaction)."""
    empty_the_timeline()


@pytest.fixture
def jurisdiction(db) -> Jurisdiction:
    return Jurisdiction.objects.get_or_create(code="CN", defaults={"name": "China"})[0]


@pytest.fixture
def make_material(db):
    def make(name: str, *, category=MaterialCategory.CRITICAL_MINERAL, groups=()) -> Material:
        from django.utils.text import slugify

        material = Material.objects.create(slug=slugify(name), name=name, category=category)
        material.groups.set(groups)
        return material

    return make


@pytest.fixture
def make_measure(jurisdiction):
    counter = iter(range(1, 10_000))

    def make(
        *,
        key: str | None = None,
        announced_on: datetime.date | None = None,
        effective_on: datetime.date | None = None,
        ends_on: datetime.date | None = None,
        events: list[tuple[datetime.date, str] | tuple[datetime.date, str, bool]] = (),
        materials: list[Material] = (),
        measure_type: str = MeasureType.EXPORT_LICENCE_REQUIREMENT,
        **fields,
    ) -> Measure:
        measure = Measure(
            key=key or f"test-measure-{next(counter)}",
            title=fields.pop("title", "A test measure"),
            jurisdiction=fields.pop("jurisdiction", jurisdiction),
            measure_type=measure_type,
            announced_on=announced_on,
            effective_on=effective_on,
            ends_on=ends_on,
            **fields,
        )
        save_measure(
            measure,
            # (date, type), or (date, type, scheduled) for an event announced in advance.
            events=[
                EventEntry(*event[:2], scheduled=bool(event[2:3] and event[2])) for event in events
            ],
            materials=[MaterialLink(material) for material in materials],
        )
        return measure

    return make


def representations_differing() -> list[str]:
    """Keys of the measures whose stored representation claims to be current (its
    ``created_at`` and ``updated_at`` are the measure's) but differs from what their tables
    give now."""
    import orjson

    from timeline.representation.models import MeasureRepresentation
    from timeline.representation.store import build

    current = {
        row.measure_id: row
        for row in MeasureRepresentation.objects.filter(
            created_at=models.F("measure__created_at"),
            updated_at=models.F("measure__updated_at"),
        ).select_related("measure")
    }
    built = build(current)
    return sorted(
        row.measure.key
        for pk, row in current.items()
        if (orjson.loads(row.body), orjson.loads(row.status_inputs)) != built[pk].representation
    )


@pytest.fixture(autouse=True)
def _stored_representations_never_stale(request):
    """After every test that writes to the database, no stored representation the API would
    use differs from what the measure's tables say: a write path that changes how a measure is
    shown without moving its ``updated_at`` fails here. Nor do the kept in-force counts differ
    from a count of the stored periods: a write path that moves periods or group links
    without keeping the counts fails here."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if transactional or not ("db" in request.fixturenames or marker is not None):
        yield
        return
    request.getfixturevalue("db")
    yield
    assert representations_differing() == []
    assert counts_differing() == []
