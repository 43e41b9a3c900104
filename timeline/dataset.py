"""The dataset format, once: its sections, the fields of each kind of record, the CSV columns,
and how a database row reads in it. The importers compare a file with the database in these
words and the exporters write them, so a file exported and loaded again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.db.models import Prefetch, QuerySet

from .models import (
    MEASURE_DATE_FIELDS,
    Authority,
    EventType,
    Jurisdiction,
    Material,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    Sector,
)
from .precision import partial_date_text

DEMO_DATA_DIR = Path(__file__).resolve().parent / "demo_data"
DEMO_FILES = [
    DEMO_DATA_DIR / name for name in ("reference.json", "materials.json", "measures.json")
]

# Sections in the order they load, whatever file they come from: each refers only to those
# before it (measures also to each other).
SECTIONS = ("jurisdictions", "authorities", "sectors", "materials", "measures")

JURISDICTION_FIELDS = ("code", "name", "kind")
AUTHORITY_FIELDS = ("slug", "abbreviation", "name", "jurisdiction", "website")
SECTOR_FIELDS = ("slug", "name")
MATERIAL_FIELDS = (
    "slug", "name", "category", "symbol", "atomic_number", "cas_number", "hs_codes", "groups",
)  # fmt: skip
MEASURE_FIELDS = (
    "key", "title", "reference", "jurisdiction", "authorities", "measure_type", "summary",
    "announced_on", "effective_on", "ends_on", "target_jurisdictions", "materials", "sectors",
    "events", "related", "sources", "confidence", "notes", "created_at", "updated_at",
)  # fmt: skip
# A measure's main source as one URL: how a spreadsheet row names its source.
SOURCE_URL = "source_url"

FIELDS = {
    "jurisdictions": JURISDICTION_FIELDS,
    "authorities": AUTHORITY_FIELDS,
    "sectors": SECTOR_FIELDS,
    "materials": MATERIAL_FIELDS,
    "measures": (*MEASURE_FIELDS, SOURCE_URL),
}
# Fields of the objects inside a measure's lists. A material entry names a material (by
# ``material`` slug, or by name) and may define it inline with any material field.
MEASURE_MATERIAL_FIELDS = ("material", "scope", *MATERIAL_FIELDS)
EVENT_FIELDS = ("date", "type", "note", "source_url", "scheduled")
SOURCE_FIELDS = ("url", "title", "publisher", "published_on")
RELATION_FIELDS = ("key", "relation")
NESTED_FIELDS = {
    "materials": MEASURE_MATERIAL_FIELDS,
    "events": EVENT_FIELDS,
    "sources": SOURCE_FIELDS,
    "related": RELATION_FIELDS,
}

# The dataset's event words that the model names differently.
EVENT_TYPE_ALIASES = {
    "suspension_ends": EventType.REINSTATED,
    "revoked": EventType.ENDED,
    "expired": EventType.ENDED,
}

# One row per measure. List cells hold identifiers (codes and slugs, which never contain the
# separator); the importers also take names and abbreviations there.
CSV_COLUMNS = (
    "key", "title", "reference", "jurisdiction", "authorities", "measure_type", "announced_on",
    "effective_on", "ends_on", "target_jurisdictions", "materials", "sectors", SOURCE_URL,
    "summary",
)  # fmt: skip
CSV_LIST_COLUMNS = ("authorities", "target_jurisdictions", "materials", "sectors")
LIST_SEPARATOR = ";"


def _date(value) -> str | None:
    return value.isoformat() if value else None


def event_record(*, date, type, note, source_url, scheduled, date_precision="day") -> dict:
    """A recorded event in the dataset's words: the date in the reduced form its precision
    allows (``2025-03``), and ``scheduled`` written only on an event announced in advance that
    no source confirms, absent on every event that happened."""
    record = {
        "date": partial_date_text(date, date_precision),
        "type": type,
        "note": note,
        "source_url": source_url,
    }
    if scheduled:
        record["scheduled"] = True
    return record


def jurisdiction_record(jurisdiction: Jurisdiction) -> dict:
    return {"code": jurisdiction.code, "name": jurisdiction.name, "kind": jurisdiction.kind}


def authority_record(authority: Authority) -> dict:
    """Needs ``jurisdiction`` selected."""
    return {
        "slug": authority.slug,
        "abbreviation": authority.abbreviation,
        "name": authority.name,
        "jurisdiction": authority.jurisdiction.code,
        "website": authority.website,
    }


def sector_record(sector: Sector) -> dict:
    return {"slug": sector.slug, "name": sector.name}


def material_fields(material: Material) -> dict:
    """A material's own fields in the dataset's words (no slug, no groups)."""
    return {
        "name": material.name,
        "category": material.category,
        "symbol": material.symbol or None,
        "atomic_number": material.atomic_number,
        "cas_number": material.cas_number,
        "hs_codes": material.hs_codes,
    }


def material_record(material: Material) -> dict:
    """Needs ``groups`` prefetched, ordered by slug."""
    return {
        "slug": material.slug,
        **material_fields(material),
        "groups": [group.slug for group in material.groups.all()],
    }


def materials_with_groups() -> QuerySet[Material]:
    return Material.objects.prefetch_related(
        Prefetch("groups", queryset=Material.objects.order_by("slug"))
    ).order_by("slug")


def measures_with_parts(queryset: QuerySet[Measure] | None = None) -> QuerySet[Measure]:
    """Measures with everything ``measure_record`` reads, in one query per relation."""
    queryset = Measure.objects.all() if queryset is None else queryset
    return (
        queryset.select_related("jurisdiction")
        .prefetch_related(
            Prefetch("authorities", queryset=Authority.objects.order_by("slug")),
            Prefetch("target_jurisdictions", queryset=Jurisdiction.objects.order_by("code")),
            Prefetch("sectors", queryset=Sector.objects.order_by("slug")),
            Prefetch(
                "material_links",
                queryset=MeasureMaterial.objects.select_related("material").order_by(
                    "material__slug"
                ),
            ),
            Prefetch(
                "events",
                queryset=MeasureEvent.objects.recorded().order_by("date", "type", "id"),
                to_attr="recorded_events",
            ),
            "sources",
            Prefetch(
                "relations",
                queryset=MeasureRelation.objects.select_related("to_measure").order_by(
                    "to_measure__key", "relation"
                ),
            ),
        )
        .order_by("key")
    )


def measure_record(measure: Measure) -> dict:
    """A measure in the dataset's words: codes and slugs for what it refers to, recorded
    events only (the derived ones follow from the dates), timestamps a restore keeps."""
    return {
        "key": measure.key,
        "title": measure.title,
        "reference": measure.reference,
        "jurisdiction": measure.jurisdiction.code,
        "authorities": [a.slug for a in measure.authorities.all()],
        "measure_type": measure.measure_type,
        "summary": measure.summary,
        **{name: partial_date_text(*measure.partial_date(name)) for name in MEASURE_DATE_FIELDS},
        "target_jurisdictions": [j.code for j in measure.target_jurisdictions.all()],
        "materials": [
            {"material": link.material.slug, "name": link.material.name, "scope": link.scope}
            for link in measure.material_links.all()
        ],
        "sectors": [s.slug for s in measure.sectors.all()],
        "events": [
            event_record(
                date=e.date,
                type=e.type,
                note=e.note,
                source_url=e.source_url,
                scheduled=e.scheduled,
                date_precision=e.date_precision,
            )
            for e in measure.recorded_events
        ],
        "related": [
            {"key": r.to_measure.key, "relation": r.relation} for r in measure.relations.all()
        ],
        "sources": [
            {
                "url": s.url,
                "title": s.title,
                "publisher": s.publisher,
                "published_on": _date(s.published_on),
            }
            for s in measure.sources.all()
        ],
        "confidence": measure.confidence,
        "notes": measure.notes,
        "created_at": measure.created_at.isoformat(),
        "updated_at": measure.updated_at.isoformat(),
    }
