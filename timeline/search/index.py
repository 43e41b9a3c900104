"""Keeping the search index in step with the timeline.

``index_measures`` rewrites the documents of some measures in a few queries whatever their
number; the measure write paths (``timeline.services``, the admin) call it inside their
transaction, and the signals connected here call it when a row a document shows changes: a
material's name, symbol or groups, an authority's name. A measure's deletion takes its document
with it (a cascade). ``manage.py rebuild_search_index`` rewrites every document, after the
synonyms change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models.signals import m2m_changed, post_save, pre_save

from .text import document_text

BATCH = 1000


def index_measures(ids: Iterable[int]) -> None:
    """Rewrite the search documents of the measures with ``ids`` (missing ones are skipped):
    seven queries and one write per thousand measures."""
    from ..models import Material, Measure, MeasureMaterial, MeasureSource
    from .models import MeasureSearchDocument

    ids = sorted(set(ids))
    if not ids:
        return
    materials = {
        pk: (name, symbol)
        for pk, name, symbol in Material.objects.values_list("pk", "name", "symbol")
    }
    graph = Material.objects.group_graph()
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        listed: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for measure_id, material_id, scope in MeasureMaterial.objects.filter(
            measure_id__in=batch
        ).values_list("measure_id", "material_id", "scope"):
            listed[measure_id].append((material_id, scope))
        authorities: dict[int, list[str]] = defaultdict(list)
        through = Measure.authorities.through.objects.filter(measure_id__in=batch)
        for measure_id, name, abbreviation in through.values_list(
            "measure_id", "authority__name", "authority__abbreviation"
        ):
            authorities[measure_id] += [name, abbreviation]
        sources: dict[int, list[str]] = defaultdict(list)
        for measure_id, title in MeasureSource.objects.filter(measure_id__in=batch).values_list(
            "measure_id", "title"
        ):
            sources[measure_id].append(title)
        documents = []
        for pk, key, title, reference, summary, notes in Measure.objects.filter(
            pk__in=batch
        ).values_list("pk", "key", "title", "reference", "summary", "notes"):
            own = {material_id for material_id, _ in listed[pk]}
            related = graph.related(own) - own
            documents.append(
                MeasureSearchDocument(
                    measure_id=pk,
                    head=document_text(
                        key, title, reference, *(materials[m][0] for m in sorted(own))
                    ),
                    body=document_text(
                        summary,
                        notes,
                        *(scope for _, scope in listed[pk]),
                        *(materials[m][1] for m in sorted(own)),
                        *authorities[pk],
                        *sources[pk],
                    ),
                    related=document_text(*(materials[m][0] for m in sorted(related))),
                )
            )
        # One upsert: no row-by-row delete signals, and the FTS5 triggers see an update.
        MeasureSearchDocument.objects.bulk_create(
            documents,
            update_conflicts=True,
            unique_fields=["measure"],
            update_fields=["head", "body", "related"],
        )


def rebuild_index() -> int:
    """Rewrite every measure's document; returns how many."""
    from ..models import Measure
    from .models import MeasureSearchDocument

    ids = list(Measure.objects.values_list("pk", flat=True))
    MeasureSearchDocument.objects.exclude(measure_id__in=ids).delete()
    index_measures(ids)
    return len(ids)


def _measures_showing_material(material_ids: set[int]) -> list[int]:
    """Measures whose documents name any of the materials: those listing one of them, a
    group of one or a member of one."""
    from ..models import Material, MeasureMaterial

    related = Material.objects.related_ids(material_ids)
    return list(
        MeasureMaterial.objects.filter(material_id__in=related)
        .values_list("measure_id", flat=True)
        .distinct()
    )


def _authority_measures(pk: int) -> list[int]:
    from ..models import Measure

    return list(
        Measure.authorities.through.objects.filter(authority_id=pk).values_list(
            "measure_id", flat=True
        )
    )


# model name: (the fields documents show of it, the measures showing a given row)
SHOWN_FIELDS = {
    "Material": (("name", "symbol"), lambda pk: _measures_showing_material({pk})),
    "Authority": (("name", "abbreviation"), _authority_measures),
}


def _remember_shown_change(sender, instance, raw=False, **kwargs):
    fields, _ = SHOWN_FIELDS[sender.__name__]
    instance._search_stale = False
    if raw or instance._state.adding or instance.pk is None:
        return  # a new row is in no document yet
    old = sender._default_manager.filter(pk=instance.pk).values(*fields).first()
    instance._search_stale = old is not None and any(
        old[name] != getattr(instance, name) for name in fields
    )


def _reindex_after_save(sender, instance, raw=False, **kwargs):
    if getattr(instance, "_search_stale", False):
        _, showing = SHOWN_FIELDS[sender.__name__]
        index_measures(showing(instance.pk))
        instance._search_stale = False


GROUP_CHANGES = {"pre_add", "post_add", "pre_remove", "post_remove", "pre_clear", "post_clear"}


def _reindex_on_group_change(sender, instance, action, reverse, pk_set, **kwargs):
    # Group membership decides which related names a document holds: the measures showing
    # the changed materials before and after the change are rewritten.
    if action not in {
        "pre_add",
        "post_add",
        "pre_remove",
        "post_remove",
        "pre_clear",
        "post_clear",
    }:
        return
    changed = {instance.pk, *(pk_set or ())}
    if action.startswith("pre_"):
        instance._search_before = set(_measures_showing_material(changed))
        return
    before = getattr(instance, "_search_before", set())
    index_measures(before | set(_measures_showing_material(changed)))


def connect_signals() -> None:
    from ..models import Authority, Material

    for model in (Material, Authority):
        pre_save.connect(_remember_shown_change, sender=model, dispatch_uid=f"search-pre-{model}")
        post_save.connect(_reindex_after_save, sender=model, dispatch_uid=f"search-post-{model}")
    m2m_changed.connect(
        _reindex_on_group_change, sender=Material.groups.through, dispatch_uid="search-groups"
    )
