"""The search index's rows: one per measure, kept by ``timeline.search.index``."""

from django.db import models


class MeasureSearchDocument(models.Model):
    """A measure's text as the search reads it (``text.document_text``), in three weights.

    The database indexes these columns its own way, set up by migration
    ``0014_measure_search``: on PostgreSQL a generated ``tsvector`` column with a GIN index; on
    SQLite an FTS5 table (``timeline_measure_fts``) that triggers keep in step with this one.
    """

    measure = models.OneToOneField(
        "timeline.Measure",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    head = models.TextField(help_text="Key, title, reference, names of the listed materials.")
    body = models.TextField(
        help_text="Summary, notes, scopes, symbols, authority names, source titles."
    )
    related = models.TextField(
        help_text="Names of the groups of the listed materials and of their members."
    )

    class Meta:
        verbose_name = "measure search document"

    def __str__(self) -> str:
        return f"search document of measure {self.measure_id}"


class MeasureFullTextRow(models.Model):
    """SQLite's FTS5 table over the documents, as a model only so that a search can join it
    to the measures (``backends``): written by its triggers, never through Django, and absent
    on PostgreSQL, where the search joins ``MeasureSearchDocument`` instead."""

    measure = models.OneToOneField(
        "timeline.Measure",
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_column="rowid",
        related_name="full_text_row",
    )

    class Meta:
        managed = False
        db_table = "timeline_measure_fts"

    def __str__(self) -> str:
        return f"full-text row of measure {self.measure_id}"
