"""The jurisdictions RegWatch knows out of the box: every country and territory of ISO 3166-1,
with its English short name, as the pycountry library publishes it, and the blocs and
organisations below. Their codes are the same codes the rest of the timeline uses."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pycountry
from django.apps import apps as django_apps

from ..models import JurisdictionKind
from ..versioning import bump_version
from . import SYNC_REASON, SyncReport

ISO_3166_1 = "ISO 3166-1, from pycountry"
OUR_LIST = "RegWatch's list of blocs and organisations"


@dataclass(frozen=True)
class ReferenceJurisdiction:
    code: str
    name: str
    kind: str
    source: str = OUR_LIST

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", str(self.kind))  # the value, not the enum member


# Blocs and organisations that adopt measures on trade in materials or are named by them. Two
# letters are ISO 3166-1's: a body gets a two-letter code only where ISO 3166-1 reserves it for
# that body (EU, UN); the others go by their usual acronym. Left out on purpose: the G7 and G20
# (forums whose members adopt the measures themselves; "G7" is not a code of letters either),
# NATO (no trade measures), and the export-control regimes (Wassenaar Arrangement, Nuclear
# Suppliers Group, MTCR, Australia Group), whose lists each participating state enacts.
BLOCS_AND_ORGANISATIONS = (
    # Adopts export controls for its members (Regulation (EU) 2021/821) and sanctions.
    ReferenceJurisdiction("EU", "European Union", JurisdictionKind.BLOC),
    # Customs union; its Commission sets the common tariff and temporary export bans.
    ReferenceJurisdiction("EAEU", "Eurasian Economic Union", JurisdictionKind.BLOC),
    # Named in measures and agreements as one party (ASEAN Trade in Goods Agreement).
    ReferenceJurisdiction("ASEAN", "Association of Southeast Asian Nations", JurisdictionKind.BLOC),
    # Customs union with a common external tariff.
    ReferenceJurisdiction(
        "GCC", "Cooperation Council for the Arab States of the Gulf", JurisdictionKind.BLOC
    ),
    # Customs union with a common external tariff.
    ReferenceJurisdiction("MERCOSUR", "Southern Common Market", JurisdictionKind.BLOC),
    # Customs union with a common external tariff.
    ReferenceJurisdiction("SACU", "Southern African Customs Union", JurisdictionKind.BLOC),
    # Security Council sanctions bind every member: resolution 2270 (2016) bars the DPRK's
    # exports of rare earth minerals, titanium and vanadium ores.
    ReferenceJurisdiction("UN", "United Nations", JurisdictionKind.ORGANISATION),
    # Rules on export restrictions: China - Rare Earths (DS431, 2014), China - Raw Materials
    # (DS394, 2012).
    ReferenceJurisdiction("WTO", "World Trade Organization", JurisdictionKind.ORGANISATION),
    # Council recommendation on due diligence for minerals from conflict-affected areas, the
    # standard the EU's conflict-minerals regulation (2017/821) applies.
    ReferenceJurisdiction(
        "OECD",
        "Organisation for Economic Co-operation and Development",
        JurisdictionKind.ORGANISATION,
    ),
)


@functools.cache
def reference_jurisdictions() -> dict[str, ReferenceJurisdiction]:
    """Every built-in jurisdiction by code: ISO 3166-1's countries, then our blocs."""
    known = {
        country.alpha_2: ReferenceJurisdiction(
            country.alpha_2, country.name, JurisdictionKind.COUNTRY, ISO_3166_1
        )
        for country in pycountry.countries
    }
    for bloc in BLOCS_AND_ORGANISATIONS:
        if bloc.code in known:
            raise ValueError(f"{bloc.code} is ISO 3166-1's code for {known[bloc.code].name}")
        known[bloc.code] = bloc
    return dict(sorted(known.items()))


def sync_jurisdictions(*, apps=django_apps, prune: bool = False) -> SyncReport:
    """Create the built-in jurisdictions that are missing and give the others the reference
    name and kind (an edited name goes back to ISO's). A jurisdiction the reference does not
    know (one an editor added, or a code ISO withdrew) is kept and named in the report; with
    ``prune`` it is deleted, unless an authority or a measure (issuing it or aimed at it)
    refers to it. A migration passes its ``apps``, whose frozen model keeps no history."""
    model = apps.get_model("timeline", "Jurisdiction")
    report = SyncReport("jurisdictions")
    reference = reference_jurisdictions()
    existing = {row.code: row for row in model.objects.all()}
    created, updated = [], []
    for code, wanted in reference.items():
        row = existing.get(code)
        if row is None:
            created.append(model(code=code, name=wanted.name, kind=wanted.kind))
            report.created.append(f"{code} ({wanted.name}, {wanted.kind})")
            continue
        changes = [
            f"{name} {getattr(row, name)!r} -> {getattr(wanted, name)!r}"
            for name in ("name", "kind")
            if getattr(row, name) != getattr(wanted, name)
        ]
        if not changes:
            report.unchanged += 1
            continue
        row.name, row.kind = wanted.name, wanted.kind
        updated.append(row)
        report.updated.append(f"{code}: {', '.join(changes)}")
    model.objects.bulk_create(created)
    model.objects.bulk_update(updated, ["name", "kind"])
    if hasattr(model, "history"):
        model.history.bulk_history_create(created, default_change_reason=SYNC_REASON)
        model.history.bulk_history_create(updated, update=True, default_change_reason=SYNC_REASON)

    others = sorted(set(existing) - set(reference))
    if others:
        unused = set(
            model.objects.filter(
                code__in=others, authorities=None, measures=None, targeted_by=None
            ).values_list("code", flat=True)
        )
        deleted = sorted(unused) if prune else []
        for row in model.objects.filter(code__in=deleted):
            row._change_reason = SYNC_REASON
            row.delete()
        report.deleted += deleted
        kept = [c if c in unused else f"{c} (in use)" for c in others if c not in deleted]
        if kept:
            report.notes.append(f"not in the reference data, kept: {', '.join(kept)}")
    if created or updated:
        bump_version(apps.get_model("timeline", "TimelineVersion"))  # deletes bump their own
    return report
