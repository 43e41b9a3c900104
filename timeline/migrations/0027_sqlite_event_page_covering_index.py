from django.db import migrations

# On SQLite the event feed's page (timeline.page_rows.events_in_range) reads every column it
# shows off this index, in the feed's order, instead of visiting each event's row: a tenth of
# an event page's CPU at 100,000 measures. Not on PostgreSQL: a note is unbounded text, and a
# B-tree entry there (INCLUDE columns too) is limited to about 2.7 kB.
INDEX = "event_page_sqlite_idx"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON timeline_measureevent "
    '("date", "type", "id", "date_precision", "note", "source_url", "scheduled", "derived", '
    '"measure_id")'
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0026_representation_times")]

    operations = [migrations.RunPython(forwards, backwards)]
