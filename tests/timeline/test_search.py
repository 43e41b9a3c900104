"""The search index follows every write, in the writing transaction (timeline.search)."""

from timeline.models import Authority, Material, Measure
from timeline.search import search_measures
from timeline.services import delete_measure, restore_version, save_measure


def search(text: str) -> set[str]:
    return set(search_measures(Measure.objects.all(), text).values_list("key", flat=True))


def test_a_saved_measure_is_found_by_its_new_words(demo_data):
    measure = Measure.objects.get(key="cn-mofcom-gac-2023-39")
    measure.summary = "Covers flake graphite and spheroidal anodes."
    save_measure(measure)
    assert search("spheroidal anodes") == {"cn-mofcom-gac-2023-39"}


def test_a_deleted_measure_is_no_longer_found(demo_data):
    delete_measure(Measure.objects.get(key="cn-mofcom-2025-62"), force=True)
    assert search("1E902") == set()


def test_a_restored_version_is_found_by_its_old_words(demo_data):
    measure = Measure.objects.get(key="cn-mofcom-2025-62")
    old = measure.history.first()
    measure.summary = measure.notes = "Nothing left."
    save_measure(measure, materials=[])
    assert search("1E902") == set()
    restore_version(old)
    assert search("1E902") == {"cn-mofcom-2025-62"}


def test_a_renamed_material_is_found_by_its_new_name(demo_data):
    material = Material.objects.get(slug="dysprosium")
    material.name = "Dysprosium metal"
    material.symbol = "Dz"
    material.save()
    assert "cn-mofcom-gac-2025-18" in search("dysprosium metal")
    assert "cn-mofcom-gac-2025-18" in search("dz")


def test_a_renamed_authority_is_found_by_its_new_name(demo_data):
    authority = Authority.objects.get(slug="mofcom")
    authority.name = "Handelsministerium"
    authority.save()
    assert "cn-mofcom-gac-2023-23" in search("handelsministerium")


def test_a_material_put_in_a_group_is_found_with_the_groups_measures(demo_data):
    germanium = Material.objects.get(slug="germanium")
    assert "cn-mofcom-2025-61" not in search("germanium")
    germanium.groups.add(Material.objects.get(slug="rare-earth-elements"))
    assert "cn-mofcom-2025-61" in search("germanium")
    germanium.groups.clear()
    assert "cn-mofcom-2025-61" not in search("germanium")


def test_the_loader_indexes_what_it_creates(demo_data):
    # The session's dataset was loaded in bulk (services.create_measures).
    assert search("Covington") >= {"cn-mofcom-gac-2023-23"}
