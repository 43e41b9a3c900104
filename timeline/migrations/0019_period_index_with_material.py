from django.db import migrations, models


class Migration(migrations.Migration):
    """The period index by measure gains the material, so an in-order walk of the measures
    checks each one off the index alone. The new index is built before the old is dropped."""

    dependencies = [
        ("timeline", "0018_merge_in_force_periods"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="inforceperiod",
            index=models.Index(
                fields=["measure", "starts_on", "ends_before", "material"],
                name="period_measure_material_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="inforceperiod",
            name="period_measure_idx",
        ),
    ]
