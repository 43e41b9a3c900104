"""An index for answers as known at a past moment (``timeline/as_known.py``): per key, the
newest version recorded at or before a moment. The historical model is built by
django-simple-history, whose options cannot declare it, so it is created in SQL (the same
statement on SQLite and PostgreSQL) and the model state is left alone."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("timeline", "0014_date_precision")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX measure_version_key_date_idx "
            "ON timeline_historicalmeasure (key, history_date, history_id)",
            reverse_sql="DROP INDEX measure_version_key_date_idx",
        )
    ]
