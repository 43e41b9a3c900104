"""The whole timeline as one JSON document: the backup that ``load_timeline`` restores."""

from __future__ import annotations

import json
from typing import TextIO

from ..dataset import (
    authority_record,
    jurisdiction_record,
    material_record,
    materials_with_groups,
    measure_record,
    measures_with_parts,
    sector_record,
)
from ..models import Authority, Jurisdiction, Sector

MEDIA_TYPE = "application/json"


def export_document() -> dict:
    """Every record, in a stable order, with the timestamps a restore should keep."""
    return {
        "jurisdictions": [jurisdiction_record(j) for j in Jurisdiction.objects.order_by("code")],
        "authorities": [
            authority_record(a)
            for a in Authority.objects.select_related("jurisdiction").order_by("slug")
        ],
        "sectors": [sector_record(s) for s in Sector.objects.order_by("slug")],
        "materials": [material_record(m) for m in materials_with_groups()],
        "measures": [measure_record(m) for m in measures_with_parts()],
    }


def write(handle: TextIO) -> None:
    handle.write(json.dumps(export_document(), ensure_ascii=False, indent=2) + "\n")
