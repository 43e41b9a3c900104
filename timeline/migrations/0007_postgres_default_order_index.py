from django.db import migrations

# PostgreSQL sorts NULLs first in a descending index, so ORDER BY effective_on DESC NULLS LAST
# (the default order) cannot read measure_effective_key_idx there; SQLite's DESC index already
# puts NULLs last and has no NULLS clause for indexes. This index is PostgreSQL's own.
CREATE = (
    "CREATE INDEX IF NOT EXISTS measure_effective_nulls_last_idx "
    "ON timeline_measure (effective_on DESC NULLS LAST, key)"
)
DROP = "DROP INDEX IF EXISTS measure_effective_nulls_last_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("timeline", "0006_default_order_index")]

    operations = [migrations.RunPython(create, drop)]
