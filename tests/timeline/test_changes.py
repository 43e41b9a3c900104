import pytest
from django.db import IntegrityError, transaction

from timeline.models import Material, Measure


def test_a_save_the_database_refuses_moves_no_updated_at(demo_data):
    before = dict(Measure.objects.values_list("key", "updated_at"))
    gallium = Material.objects.get(slug="gallium")
    gallium.name = "Germanium"  # names are unique
    with pytest.raises(IntegrityError), transaction.atomic():
        gallium.save()
    assert dict(Measure.objects.values_list("key", "updated_at")) == before


def test_a_new_reference_row_moves_no_measure(demo_data, make_material):
    before = dict(Measure.objects.values_list("key", "updated_at"))
    make_material("Hafnium")
    assert dict(Measure.objects.values_list("key", "updated_at")) == before
