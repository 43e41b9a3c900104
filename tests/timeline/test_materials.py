import pytest

from timeline.models import Material, MaterialCategory, Measure

pytestmark = pytest.mark.usefixtures("empty_timeline")

GROUP = MaterialCategory.GROUP


@pytest.fixture
def rare_earths(make_material):
    ree = make_material("Rare earth elements", category=GROUP)
    heavy = make_material("Heavy rare earth elements", category=GROUP, groups=[ree])
    light = make_material("Light rare earth elements", category=GROUP, groups=[ree])
    dysprosium = make_material(
        "Dysprosium", category=MaterialCategory.RARE_EARTH_ELEMENT, groups=[heavy]
    )
    neodymium = make_material(
        "Neodymium", category=MaterialCategory.RARE_EARTH_ELEMENT, groups=[light]
    )
    gallium = make_material("Gallium")
    return {
        "ree": ree,
        "heavy": heavy,
        "light": light,
        "dy": dysprosium,
        "nd": neodymium,
        "ga": gallium,
    }


def keys(queryset):
    return set(queryset.values_list("key", flat=True))


def test_element_matches_measures_on_its_groups_transitively(rare_earths, make_measure):
    make_measure(key="on-all-rare-earths", materials=[rare_earths["ree"]])
    make_measure(key="on-heavy", materials=[rare_earths["heavy"]])
    make_measure(key="on-light", materials=[rare_earths["light"]])
    make_measure(key="on-dysprosium", materials=[rare_earths["dy"]])
    assert keys(Measure.objects.matching_materials([rare_earths["dy"]])) == {
        "on-all-rare-earths",
        "on-heavy",
        "on-dysprosium",
    }


def test_group_matches_measures_on_its_members_transitively(rare_earths, make_measure):
    make_measure(key="on-dysprosium", materials=[rare_earths["dy"]])
    make_measure(key="on-neodymium", materials=[rare_earths["nd"]])
    make_measure(key="on-gallium", materials=[rare_earths["ga"]])
    assert keys(Measure.objects.matching_materials([rare_earths["ree"]])) == {
        "on-dysprosium",
        "on-neodymium",
    }
    assert keys(Measure.objects.matching_materials([rare_earths["heavy"]])) == {"on-dysprosium"}


def test_sibling_groups_do_not_match_each_other(rare_earths, make_measure):
    make_measure(key="on-light", materials=[rare_earths["light"]])
    assert keys(Measure.objects.matching_materials([rare_earths["heavy"]])) == set()


def test_measure_listing_several_matching_materials_appears_once(rare_earths, make_measure):
    make_measure(key="both", materials=[rare_earths["dy"], rare_earths["heavy"]])
    assert list(
        Measure.objects.matching_materials([rare_earths["ree"]]).values_list("key", flat=True)
    ) == ["both"]


def test_material_in_several_groups_is_reached_from_each(make_material, make_measure):
    strategic = make_material("Strategic raw materials", category=GROUP)
    magnets = make_material("Magnet metals", category=GROUP)
    dysprosium = make_material("Dysprosium", groups=[strategic, magnets])
    make_measure(key="on-dysprosium", materials=[dysprosium])
    assert keys(Measure.objects.matching_materials([strategic])) == {"on-dysprosium"}
    assert keys(Measure.objects.matching_materials([magnets])) == {"on-dysprosium"}


def test_expansion_reads_membership_in_one_query(rare_earths, django_assert_num_queries):
    with django_assert_num_queries(1):
        ids = Material.objects.related_ids([rare_earths["dy"]])
    assert ids == {rare_earths[k].pk for k in ("dy", "heavy", "ree")}


def test_expansion_reaches_every_level_up_and_down_but_not_sideways(
    rare_earths, make_material, django_assert_num_queries
):
    ree, heavy, dy = rare_earths["ree"], rare_earths["heavy"], rare_earths["dy"]
    critical = make_material("Critical raw materials", category=GROUP)
    ree.groups.set([critical])
    terbium_group = make_material("Terbium compounds", category=GROUP, groups=[heavy])
    terbium = make_material("Terbium", groups=[terbium_group])
    with django_assert_num_queries(1):
        from_heavy = Material.objects.related_ids([heavy])
    assert from_heavy == {heavy.pk, ree.pk, critical.pk, dy.pk, terbium_group.pk, terbium.pk}
    assert Material.objects.related_ids([terbium.pk]) == {
        terbium.pk, terbium_group.pk, heavy.pk, ree.pk, critical.pk
    }  # fmt: skip
    assert Material.objects.related_ids([critical]) == {
        critical.pk, ree.pk, heavy.pk, rare_earths["light"].pk, dy.pk, rare_earths["nd"].pk,
        terbium_group.pk, terbium.pk,
    }  # fmt: skip
    assert Material.objects.related_ids([]) == set()


def test_the_bulk_expansion_the_search_index_walks_matches_the_query(rare_earths, make_material):
    critical = make_material("Critical raw materials", category=GROUP)
    rare_earths["ree"].groups.set([critical])
    graph = Material.objects.group_graph()
    for material in Material.objects.all():
        assert Material.objects.related_ids([material]) == graph.related([material.pk])
        assert Material.objects.descendant_ids([material]) == graph.members_of([material.pk])


def test_circular_group_membership_is_refused(rare_earths):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already sits inside"):
        rare_earths["heavy"].validate_groups([rare_earths["ree"], rare_earths["heavy"]])
    with pytest.raises(ValidationError, match="already sits inside"):
        rare_earths["ree"].validate_groups([rare_earths["heavy"]])


def test_only_groups_can_hold_members(rare_earths):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Not a group: Gallium"):
        rare_earths["dy"].validate_groups([rare_earths["ga"]])
