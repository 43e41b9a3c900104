"""Search: one full-text search over the timeline, used by the API's ``q`` and the admin.

A measure is found by its key, title, reference, summary and notes, the names and symbols of
the materials it lists (and of their groups and members, as the ``material`` filter matches
them), their scope texts, its authorities' names and its sources' titles. Case, accents,
hyphens and word endings do not matter, and the synonyms in ``synonyms.txt`` (British and
American spellings, the field's abbreviations) are the same word. Every word of the query must
match; the last one also matches words it begins.

PostgreSQL answers from a ``tsvector`` column with a GIN index, SQLite (the embedded default)
from an FTS5 table: ``backends``. Text is prepared in Python (``text``) for both, so they give
the same answers. The index is kept by the write paths (``index``).

Materials, authorities and jurisdictions are few (hundreds of rows), so their ``q`` applies
the same rule in Python over one query of their names (``matching_ids``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .backends import matching
from .text import document_text, matches, query_clauses

RANK = "search_rank"


def search_measures(queryset: QuerySet, text: str, *, order: bool = True) -> QuerySet:
    """The measures of ``queryset`` matching ``text``, annotated with ``search_rank`` (higher
    is more relevant) and, when ``order``, ordered by it (then by key). A query without a
    letter or digit asks for nothing and finds nothing."""
    clauses = query_clauses(text)
    if not clauses:
        return queryset.none()
    relation, condition, rank = matching(connections[queryset.db].vendor, clauses)
    found = (
        queryset.filter(**{f"{relation}__isnull": False}).filter(condition).annotate(**{RANK: rank})
    )
    return found.order_by(f"-{RANK}", "key") if order else found


def matching_ids(rows: Iterable[tuple], text: str) -> list:
    """The first item of each of ``rows`` (pk, then texts) whose texts match ``text``; none
    when ``text`` has no letter or digit."""
    clauses = query_clauses(text)
    if not clauses:
        return []
    return [pk for pk, *texts in rows if matches(clauses, document_text(*(t or "" for t in texts)))]


def ids_to_nest(queryset: QuerySet):
    """``queryset``'s ids, to use inside another query: a subquery, except for a search on
    PostgreSQL, whose match condition names its index table as written and so cannot be
    relabelled as a nested query's tables are: its ids are read first, and passed as one
    array."""
    ids = queryset.order_by().values("pk")
    if RANK not in queryset.query.annotations or connections[queryset.db].vendor != "postgresql":
        return ids
    # One array parameter, however many ids (a list would take one parameter each).
    return RawSQL("SELECT unnest(%s::bigint[])", [list(ids.values_list("pk", flat=True))])


__all__ = ["RANK", "ids_to_nest", "matching_ids", "search_measures"]
