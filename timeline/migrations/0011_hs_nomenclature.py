"""The HS 2022 nomenclature, from the file shipped in ``timeline/reference_data/hs/``; the same
code as ``manage.py sync_reference_data``, on the migration's frozen models."""

from django.db import migrations


def sync_hs_codes(apps, schema_editor):
    from timeline.reference_data.hs import sync_hs_codes

    sync_hs_codes(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("timeline", "0010_hs_code"),
    ]

    operations = [
        migrations.RunPython(sync_hs_codes, migrations.RunPython.noop, elidable=False),
    ]
