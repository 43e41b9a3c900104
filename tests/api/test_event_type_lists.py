"""Events filtered by several types: a page is the same rows, in the same order, as the start
of the whole list. SQLite 3.40 (Debian 12's) answered some such pages wrong when the measures
came as a list too (by material, or several measure keys): its plan read both lists off the
index on (measure, type, date) and returned other rows under ORDER BY ... LIMIT, though the
count was right."""

import pytest

from timeline.models import Material, Measure
from timeline.synthetic import generate

TYPES = "announced,effective,amended"


@pytest.fixture
def synthetic(empty_timeline):
    generate(measures=500, seed=5)


def first_page_is_the_start_of_the_list(client, url: str, params: dict) -> bool:
    page = client.get(url, {**params, "page_size": 3}).json()
    whole = client.get(url, {**params, "page_size": 500}).json()
    assert page["count"] == whole["count"]
    return page["results"] == whole["results"][:3]


def test_a_material_with_several_types(client, synthetic):
    materials = Material.objects.filter(measures__isnull=False).distinct().order_by("slug")
    wrong = [
        slug
        for slug in materials.values_list("slug", flat=True)[:60]
        if not first_page_is_the_start_of_the_list(
            client, f"/api/v1/materials/{slug}/timeline/", {"type": TYPES}
        )
        or not first_page_is_the_start_of_the_list(
            client, "/api/v1/events/", {"material": slug, "type": TYPES}
        )
    ]
    assert wrong == []


def test_several_measures_with_several_types(client, synthetic):
    keys = list(Measure.objects.order_by("key").values_list("key", flat=True))
    wrong = [
        at
        for at in range(0, len(keys) - 20, 20)
        if not first_page_is_the_start_of_the_list(
            client, "/api/v1/events/", {"measure": ",".join(keys[at : at + 20]), "type": TYPES}
        )
    ]
    assert wrong == []
