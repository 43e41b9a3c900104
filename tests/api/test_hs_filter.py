"""`hs=` finds what concerns materials coded with a code, its parents or its children."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import results
from timeline.hs_matching import matching_condition
from timeline.models import MaterialHSCode


def slugs(response) -> set[str]:
    return {item["slug"] for item in results(response)}


@pytest.fixture
def coded(db, make_material):
    """Materials coded at each level under 2805 (rare-earth metals), and one elsewhere."""
    made = {}
    for name, codes in {
        "Chapter": ["28"],
        "Heading": ["2805"],
        "Subheading": ["280530"],
        "National line": ["2805301910"],
        "Elsewhere": ["8112"],
    }.items():
        material = make_material(name)
        material.hs_codes = codes
        material.save()
        made[name] = material.slug
    return made


@pytest.mark.parametrize(
    ("hs", "found"),
    [
        ("2805", {"chapter", "heading", "subheading", "national-line"}),  # parent and children
        ("280530", {"chapter", "heading", "subheading", "national-line"}),
        ("28053019", {"chapter", "heading", "subheading", "national-line"}),  # parents only
        ("2805301990", {"chapter", "heading", "subheading"}),  # a sibling line: not it
        ("28", {"chapter", "heading", "subheading", "national-line"}),
        ("2805.30", {"chapter", "heading", "subheading", "national-line"}),  # dots ignored
        ("2805 30 19 10", {"chapter", "heading", "subheading", "national-line"}),  # spaces too
        ("2804", {"chapter"}),
        ("8112,2806", {"elsewhere", "chapter"}),  # a comma list: any of them
        ("81", {"elsewhere"}),
    ],
)
def test_hs_finds_materials_coded_with_the_code_its_parents_or_its_children(
    client, empty_timeline, coded, hs, found
):
    assert slugs(client.get("/api/v1/materials/", {"hs": hs})) == found


def test_hs_on_measures_and_events_matches_as_the_material_filter_does(client, demo_data):
    # Gadolinium is coded 2805301910; measures on rare earths (a group holding it) count too.
    for url in ("/api/v1/measures/", "/api/v1/events/"):
        by_code = results(client.get(url, {"hs": "2805", "page_size": 500}))
        by_material = results(
            client.get(url, {"material": "gadolinium,samarium", "page_size": 500})
        )
        assert by_code == by_material
        assert by_code


def test_hs_follows_a_materials_codes_when_they_change(client, demo_data, editor_client):
    assert "gallium" not in slugs(client.get("/api/v1/materials/", {"hs": "2805"}))
    response = editor_client.patch(
        "/api/v1/materials/gallium/", {"hs_codes": ["8112.92", "2805.30"]}, format="json"
    )
    assert response.status_code == 200, response.content
    assert "gallium" in slugs(client.get("/api/v1/materials/", {"hs": "2805"}))
    assert "gallium" not in slugs(client.get("/api/v1/materials/", {"hs": "811299"}))


@pytest.mark.parametrize(
    ("hs", "named"),
    [("9999", "9999"), ("2805,0000", "0000"), ("28abc", "28abc"), ("2805,123", "123")],
)
@pytest.mark.parametrize("url", ["/api/v1/measures/", "/api/v1/events/", "/api/v1/materials/"])
def test_an_hs_code_the_nomenclature_does_not_list_is_a_400_naming_it(
    client, demo_data, url, hs, named
):
    response = client.get(url, {"hs": hs})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["attr"] == "hs"
    assert named in error["detail"]


@pytest.mark.parametrize("url", ["/api/v1/measures/", "/api/v1/events/", "/api/v1/materials/"])
def test_hs_costs_the_same_queries_whatever_the_number_of_codes(client, demo_data, url):
    def queries(hs: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"hs": hs}).status_code == 200
        return len(captured)

    assert queries("2805") == queries("2805,8112.92,2617.10,28,3801,2846.90.19")


def test_the_code_lookup_reads_the_code_index_not_the_table(db):
    rows = MaterialHSCode.objects.filter(matching_condition(["2805", "81129290", "38"]))
    if connection.vendor == "postgresql":  # a tiny table is scanned: ask whether it can not be
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = rows.order_by().values_list("material_id").explain()
    assert "material_hs_code_unique" in plan or "USING COVERING INDEX" in plan
    assert "SCAN timeline_materialhscode\n" not in plan and "Seq Scan" not in plan


@pytest.mark.parametrize(
    ("hs", "found"),
    [
        ("2849", {"under-2849", "national-line"}),  # the range ends at 285, not 2849:
        ("284990", {"under-2849", "national-line"}),
        ("29", {"in-29"}),  # ...and at 3 for a chapter ending in 9
        ("97", {"in-97"}),
    ],
)
def test_codes_ending_in_nine_find_their_children_and_no_neighbours(
    client, empty_timeline, make_material, hs, found
):
    for name, code in {
        "Under 2849": "284990",
        "National line": "2849901000",
        "Neighbour": "2850",
        "In 29": "2933",
        "In 30": "3001",
        "In 97": "9706",
    }.items():
        material = make_material(name)
        material.hs_codes = [code]
        material.save()
    assert slugs(client.get("/api/v1/materials/", {"hs": hs})) == found
