"""Every ISO 3166-1 country and RegWatch's blocs and organisations, so a fresh database knows
them; the same code as ``manage.py sync_reference_data``, on the migration's frozen models."""

from django.db import migrations


def sync_jurisdictions(apps, schema_editor):
    from timeline.reference_data.jurisdictions import sync_jurisdictions

    sync_jurisdictions(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0008_jurisdiction_kind"),
    ]

    operations = [
        migrations.RunPython(sync_jurisdictions, migrations.RunPython.noop, elidable=False),
    ]
