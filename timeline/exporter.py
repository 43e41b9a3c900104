"""Write the whole timeline in the loader's format: the backup that ``load_timeline`` restores."""

from __future__ import annotations

from django.db.models import Prefetch

from .models import (
    Authority,
    Jurisdiction,
    Material,
    Measure,
    MeasureEvent,
    MeasureMaterial,
    MeasureRelation,
    Sector,
)


def _date(value) -> str | None:
    return value.isoformat() if value else None


def export_document() -> dict:
    """Every record, in a stable order, with the timestamps a restore should keep."""
    return {
        "jurisdictions": [
            {"code": j.code, "name": j.name, "kind": j.kind}
            for j in Jurisdiction.objects.order_by("code")
        ],
        "authorities": [
            {
                "slug": a.slug,
                "abbreviation": a.abbreviation,
                "name": a.name,
                "jurisdiction": a.jurisdiction.code,
                "website": a.website,
            }
            for a in Authority.objects.select_related("jurisdiction").order_by("slug")
        ],
        "sectors": [{"slug": s.slug, "name": s.name} for s in Sector.objects.order_by("slug")],
        "materials": [
            {
                "slug": m.slug,
                "name": m.name,
                "category": m.category,
                "symbol": m.symbol or None,
                "atomic_number": m.atomic_number,
                "cas_number": m.cas_number,
                "hs_codes": m.hs_codes,
                "groups": [g.slug for g in m.groups.all()],
            }
            for m in Material.objects.prefetch_related(
                Prefetch("groups", queryset=Material.objects.order_by("slug"))
            ).order_by("slug")
        ],
        "measures": [_measure(m) for m in _measures()],
    }


def _measures():
    return (
        Measure.objects.select_related("jurisdiction")
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
                queryset=MeasureEvent.objects.filter(derived=False).order_by("date", "type", "id"),
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


def _measure(measure: Measure) -> dict:
    return {
        "key": measure.key,
        "title": measure.title,
        "reference": measure.reference,
        "jurisdiction": measure.jurisdiction.code,
        "authorities": [a.slug for a in measure.authorities.all()],
        "measure_type": measure.measure_type,
        "summary": measure.summary,
        "announced_on": _date(measure.announced_on),
        "effective_on": _date(measure.effective_on),
        "ends_on": _date(measure.ends_on),
        "target_jurisdictions": [j.code for j in measure.target_jurisdictions.all()],
        "materials": [
            {"material": link.material.slug, "name": link.material.name, "scope": link.scope}
            for link in measure.material_links.all()
        ],
        "sectors": [s.slug for s in measure.sectors.all()],
        "events": [
            {"date": _date(e.date), "type": e.type, "note": e.note, "source_url": e.source_url}
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
