"""The measures' ``q``: one full-text search (timeline.search), the same on SQLite and
PostgreSQL."""

import pytest

from tests.api.conftest import keys

URL = "/api/v1/measures/"


def found(client, text: str, **params) -> set[str]:
    response = client.get(URL, {"q": text, "page_size": 100, **params})
    assert response.status_code == 200, response.json()
    return set(keys(response))


# The measures listing dysprosium, or a group it belongs to (as ?material=dysprosium finds them).
DYSPROSIUM = {
    "cn-mofcom-gac-2025-18",
    "eu-2024-1252-crma",
    "cn-mofcom-2025-61",
    "cn-mofcom-gac-2025-70",
    "us-bis-232-critical-minerals-2025",
}


def test_rare_earth_with_a_space_or_a_hyphen_finds_the_same_measures(client, demo_data):
    spaced = found(client, "rare earth")
    assert spaced == found(client, "rare-earth") == found(client, "Rare-Earths")
    assert "cn-mofcom-gac-2025-18" in spaced


def test_licence_and_license_find_the_same_measures(client, demo_data):
    british = found(client, "licence")
    assert british == found(client, "license") == found(client, "LICENSES")
    assert len(british) >= 12


def test_a_material_finds_every_measure_the_material_filter_finds(client, demo_data):
    by_filter = set(keys(client.get(URL, {"material": "dysprosium", "page_size": 100})))
    assert found(client, "dysprosium") == by_filter == DYSPROSIUM


def test_a_scope_text_finds_its_measure(client, demo_data):
    assert found(client, "1E902") == {"cn-mofcom-2025-62"}


@pytest.mark.parametrize(
    ("abbreviation", "words"),
    [("REE", "rare earth elements"), ("Ga", "gallium"), ("HREE", "heavy rare earth")],
)
def test_an_abbreviation_finds_what_its_words_find(client, demo_data, abbreviation, words):
    assert found(client, abbreviation) == found(client, words) != set()


def test_accents_and_case_do_not_matter(client, demo_data, make_measure):
    make_measure(key="accented", title="Contrôle des exportations de GRAPHITE sphéroïdal")
    assert "accented" in found(client, "controle spheroidal")
    assert "accented" in found(client, "CONTRÔLE")


def test_every_word_must_match(client, demo_data):
    assert found(client, "gallium germanium") >= {"cn-mofcom-gac-2023-23"}
    assert "cn-mofcom-gac-2023-39" not in found(client, "gallium germanium")
    assert found(client, "gallium zebra") == set()


def test_the_last_word_also_matches_words_it_begins(client, demo_data):
    assert found(client, "dyspros") == DYSPROSIUM


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # authority names, source titles, notes, the reference
        ("General Administration of Customs", "cn-mofcom-gac-2023-23"),
        ("China Slaps Export Restrictions", "cn-mofcom-gac-2023-23"),
        ("China Justice Observer", "cn-mofcom-gac-2023-23"),
        ("Announcement No. 72", "cn-mofcom-2025-72"),
        ("cn-mofcom-2025-72", "cn-mofcom-2025-72"),
    ],
)
def test_search_reads_every_text_a_measure_shows(client, demo_data, text, expected):
    assert expected in found(client, text)


def test_results_come_most_relevant_first(client, demo_data, make_measure):
    make_measure(key="zz-title", title="Dysprosium oxide quota")
    listed = keys(client.get(URL, {"q": "dysprosium", "page_size": 100}))
    # A measure naming it in its title comes before one reaching it through a group only.
    assert listed.index("zz-title") < listed.index("us-bis-232-critical-minerals-2025")


def test_the_measure_a_reference_names_comes_first(client, demo_data):
    listed = keys(client.get(URL, {"q": "Announcement No. 72", "page_size": 100}))
    assert listed[0] == "cn-mofcom-2025-72"


def test_an_explicit_ordering_wins_over_relevance(client, demo_data):
    listed = keys(client.get(URL, {"q": "dysprosium", "ordering": "key", "page_size": 100}))
    assert listed == sorted(DYSPROSIUM)


def test_search_combines_with_the_other_filters(client, demo_data):
    assert found(client, "dysprosium", jurisdiction="EU") == {"eu-2024-1252-crma"}


@pytest.mark.parametrize("text", ["", "  "])
def test_an_empty_query_is_refused_naming_q(client, demo_data, text):
    response = client.get(URL, {"q": text})
    assert response.status_code == 400
    assert "q" in {error["attr"] for error in response.json()["errors"]}


@pytest.mark.parametrize("text", ["--", "¿?", "%_"])
def test_a_query_of_punctuation_alone_finds_nothing(client, demo_data, text):
    assert found(client, text) == set()


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("/api/v1/materials/", "rare-earth", "rare-earth-elements"),
        ("/api/v1/materials/", "Dy", "dysprosium"),
        ("/api/v1/materials/", "ree", "rare-earth-elements"),
        ("/api/v1/authorities/", "ministry of commerce", "mofcom"),
        ("/api/v1/jurisdictions/", "european", "EU"),
        ("/api/v1/jurisdictions/", "cote d'ivoire", "CI"),
    ],
)
def test_materials_authorities_and_jurisdictions_have_q(client, demo_data, url, text, expected):
    response = client.get(url, {"q": text, "page_size": 500})
    assert response.status_code == 200
    listed = [row.get("slug") or row.get("code") for row in response.json()["results"]]
    assert expected in listed


def test_a_search_nested_in_the_change_feed_keeps_the_measures_it_finds(client, demo_data):
    """The feed reads a search's ids inside a query of its own."""
    found = {m["key"] for m in client.get("/api/v1/measures/", {"q": "gallium"}).json()["results"]}
    response = client.get("/api/v1/changes/", {"q": "gallium", "limit": 1000})

    assert response.status_code == 200, response.content[:300]
    shown = {c["key"] for c in response.json()["results"] if c["action"] != "deleted"}
    assert found and shown == found


def test_a_search_nested_in_facets_counts_what_it_finds(client, demo_data):
    response = client.get("/api/v1/measures/", {"q": "gallium", "facets": "status"})

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["count"] > 0
    assert sum(value["count"] for value in body["facets"]["status"]) == body["count"]
