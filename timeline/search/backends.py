"""The full-text index of each database: PostgreSQL's ``tsvector`` with a GIN index, SQLite's
FTS5. Both index the prepared words of ``MeasureSearchDocument`` (``text.document_text``) as
they are, and answer the same clauses (``text.query_clauses``) the same way; they differ only
in SQL and in their relevance scores (``ts_rank`` and ``bm25``, both higher-is-better here).
"""

from __future__ import annotations

from django.db.models import BooleanField, FloatField
from django.db.models.expressions import RawSQL

from .text import Clause

DOCUMENT_TABLE = "timeline_measuresearchdocument"
FTS_TABLE = "timeline_measure_fts"
# The weights of head, body and related, highest first.
PG_WEIGHTS = ("A", "B", "C")
SQLITE_WEIGHTS = (10.0, 3.0, 1.0)

POSTGRES_SETUP = [
    f"""ALTER TABLE {DOCUMENT_TABLE} ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', head), '{PG_WEIGHTS[0]}')
        || setweight(to_tsvector('simple', body), '{PG_WEIGHTS[1]}')
        || setweight(to_tsvector('simple', related), '{PG_WEIGHTS[2]}')
    ) STORED""",
    f"CREATE INDEX measure_search_vector_idx ON {DOCUMENT_TABLE} USING gin (vector)",
]
POSTGRES_TEARDOWN = [
    "DROP INDEX IF EXISTS measure_search_vector_idx",
    f"ALTER TABLE {DOCUMENT_TABLE} DROP COLUMN IF EXISTS vector",
]
# An external-content FTS5 table over the documents, kept in step by triggers (SQLite's own
# pattern, https://www.sqlite.org/fts5.html#external_content_tables), in the writing
# transaction.
_COLUMNS = "head, body, related"
_NEW = "new.measure_id, new.head, new.body, new.related"
_OLD = "old.measure_id, old.head, old.body, old.related"
SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5({_COLUMNS}, content='{DOCUMENT_TABLE}',
        content_rowid='measure_id', tokenize='unicode61 remove_diacritics 0')""",
    f"""CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES ({_NEW}); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', {_OLD}); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE ON {DOCUMENT_TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES ({_NEW}); END""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_TEARDOWN = [
    *(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{event}" for event in ("insert", "delete", "update")),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def setup_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_SETUP, "sqlite": SQLITE_SETUP}.get(vendor, [])


def teardown_statements(vendor: str) -> list[str]:
    return {"postgresql": POSTGRES_TEARDOWN, "sqlite": SQLITE_TEARDOWN}.get(vendor, [])


def _postgres_query(clauses: list[Clause]) -> str:
    def term(word: str, prefix: bool) -> str:
        return f"'{word}':*" if prefix else f"'{word}'"

    parts = [
        "(" + " | ".join(term(word, clause.prefix) for word in clause.terms) + ")"
        for clause in clauses
    ]
    return " & ".join(parts)


def _sqlite_query(clauses: list[Clause]) -> str:
    def term(word: str, prefix: bool) -> str:
        return f'"{word}"*' if prefix else f'"{word}"'

    parts = [
        "(" + " OR ".join(term(word, clause.prefix) for word in clause.terms) + ")"
        for clause in clauses
    ]
    return " AND ".join(parts)


def matching(vendor: str, clauses: list[Clause]) -> tuple[str, RawSQL, RawSQL]:
    """(the measure's relation to join, the match condition on it, the relevance; higher is
    better). The index is joined to the measures, so each is scored once, in the same pass
    as the match. Words are letters and digits only (``text.WORD``), so they are quoted as
    they are."""
    if vendor == "postgresql":
        query = _postgres_query(clauses)
        vector = f'"{DOCUMENT_TABLE}"."vector"'
        condition = RawSQL(
            f"{vector} @@ to_tsquery('simple', %s)", [query], output_field=BooleanField()
        )
        rank = RawSQL(
            f"ts_rank({vector}, to_tsquery('simple', %s))", [query], output_field=FloatField()
        )
        return "search_document", condition, rank
    weights = ", ".join(str(weight) for weight in SQLITE_WEIGHTS)
    condition = RawSQL(
        f'"{FTS_TABLE}" MATCH %s', [_sqlite_query(clauses)], output_field=BooleanField()
    )
    rank = RawSQL(f'-bm25("{FTS_TABLE}", {weights})', [], output_field=FloatField())
    return "full_text_row", condition, rank
