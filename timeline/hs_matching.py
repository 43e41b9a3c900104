"""Which materials an HS code concerns: those coded with it, with one of its parents (a
chapter or heading containing it, or the subheading a national line extends) or with one of
its children (a longer code that starts with it). So ``2805`` finds a material coded
``280530`` and ``28053010`` one coded ``2805``: trade databases (Global Trade Alert, WTO ePing)
match codes across levels the same way.

Materials' codes are mirrored as ``MaterialHSCode`` rows, one per code, kept in step with
``Material.hs_codes`` on every save; the match is one query on their (code, material) index:
equality for the parents, a range per code for its children."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.db.models.signals import post_save

from .models import HS_LISTED_LENGTHS, HS_NATIONAL_LINE_LENGTHS, Material, MaterialHSCode

CODE_LENGTHS = (*HS_LISTED_LENGTHS, *HS_NATIONAL_LINE_LENGTHS)


def matching_condition(codes: Iterable[str]) -> Q:
    """Codes equal to a parent of one of ``codes`` (normalised), or starting with one."""
    codes = list(codes)
    parents = {code[:length] for code in codes for length in CODE_LENGTHS if length < len(code)}
    condition = Q(code__in=sorted(parents))
    for code in codes:
        after = prefix_successor(code)
        condition |= Q(code__gte=code, code__lt=after) if after else Q(code__gte=code)
    return condition


def prefix_successor(code: str) -> str | None:
    """The first digit string after every one starting with ``code`` ("2805" -> "2806",
    "2899" -> "29"), None when there is none ("99"). Digits only, so it holds in any collation,
    unlike appending a character after "9"."""
    stripped = code.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def material_ids_coded(codes: Iterable[str]) -> list[int]:
    """Ids of the materials whose codes match ``codes`` (see the module), in one query."""
    rows = MaterialHSCode.objects.filter(matching_condition(codes)).order_by()
    return sorted(set(rows.values_list("material_id", flat=True)))


def sync_codes(material: Material) -> None:
    """Make ``material``'s code rows what its ``hs_codes`` say."""
    wanted = set(material.hs_codes or []) if isinstance(material.hs_codes, list) else set()
    rows = MaterialHSCode.objects.filter(material=material)
    current = set(rows.values_list("code", flat=True))
    if current - wanted:
        rows.filter(code__in=current - wanted).delete()
    MaterialHSCode.objects.bulk_create(
        MaterialHSCode(material=material, code=code) for code in sorted(wanted - current)
    )


def _material_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        sync_codes(instance)


def connect_signals() -> None:
    post_save.connect(_material_saved, sender=Material, dispatch_uid="material-hs-code-rows")
