import pytest

from tests.api.conftest import error_attrs, results


def test_material_detail_shows_groups_and_members(client, demo_data):
    body = client.get("/api/v1/materials/medium-and-heavy-rare-earth-elements/").json()
    assert body["category"] == "group"
    assert body["groups"] == ["rare-earth-elements"]
    assert "dysprosium" in body["members"] and len(body["members"]) == 12
    element = client.get("/api/v1/materials/samarium/").json()
    assert (element["symbol"], element["atomic_number"]) == ("Sm", 62)
    assert element["hs_codes"] == ["2805301910", "2846901940", "2846901993"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"group": "light-rare-earth-elements"},
            {"lanthanum", "cerium", "praseodymium", "neodymium", "promethium"},
        ),
        ({"category": "technology"}, {"rare-earth-processing-technology"}),
        ({"q": "dy"}, {"dysprosium", "neodymium", "praseodymium"}),
        ({"q": "Ga"}, {"gallium", "gadolinium"}),
    ],
)
def test_material_filters(client, demo_data, params, expected):
    assert {
        m["slug"] for m in results(client.get("/api/v1/materials/", {**params, "page_size": 500}))
    } == expected


def test_group_filter_is_transitive(client, demo_data):
    slugs = {
        m["slug"]
        for m in results(
            client.get("/api/v1/materials/", {"group": "rare-earth-elements", "page_size": 500})
        )
    }
    assert len(slugs) == 17 + 2  # the elements and the two subgroups
    assert "rare-earth-elements" not in slugs


def test_material_write_sets_groups_and_refuses_cycles(editor_client, demo_data):
    created = editor_client.post(
        "/api/v1/materials/",
        {
            "slug": "magnet-rare-earths",
            "name": "Magnet rare earths",
            "category": "group",
            "groups": ["rare-earth-elements"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    circular = editor_client.patch(
        "/api/v1/materials/rare-earth-elements/", {"groups": ["magnet-rare-earths"]}, format="json"
    )
    assert circular.status_code == 400
    assert error_attrs(circular) == {"groups"}


def test_material_refuses_bad_hs_code_and_non_group_parent(editor_client, demo_data):
    response = editor_client.post(
        "/api/v1/materials/",
        {
            "slug": "x",
            "name": "X",
            "category": "product",
            "hs_codes": ["12ab"],
            "groups": ["gallium"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"hs_codes.0", "groups"} <= error_attrs(response)


@pytest.mark.parametrize(
    ("url", "key", "expected"),
    [
        ("/api/v1/jurisdictions/", "code", {"CN", "EU", "US"}),
        ("/api/v1/authorities/", "slug", {"mofcom", "gac", "most", "bis", "nhtsa", "ec"}),
    ],
)
def test_reference_lists(client, demo_data, url, key, expected):
    assert {item[key] for item in results(client.get(url))} == expected


def test_authority_detail_and_filter(client, demo_data):
    assert client.get("/api/v1/authorities/bis/").json()["jurisdiction"] == "US"
    assert {
        a["slug"] for a in results(client.get("/api/v1/authorities/", {"jurisdiction": "US"}))
    } == {"bis", "nhtsa"}


def test_sector_detail(client, demo_data):
    assert client.get("/api/v1/sectors/electric-vehicles/").json() == {
        "slug": "electric-vehicles",
        "url": "http://testserver/api/v1/sectors/electric-vehicles/",
        "name": "electric vehicles",
    }


def test_jurisdiction_in_use_cannot_be_deleted(editor_client, demo_data):
    response = editor_client.delete("/api/v1/jurisdictions/CN/")
    assert response.status_code == 409
    assert client_get_ok(editor_client, "/api/v1/jurisdictions/CN/")


def client_get_ok(client, url) -> bool:
    return client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/materials/nope/",
        "/api/v1/jurisdictions/XX/",
        "/api/v1/authorities/nope/",
        "/api/v1/sectors/nope/",
    ],
)
def test_unknown_object_is_404_json(client, demo_data, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_require_auth_setting_closes_reads(client, demo_data, settings):
    settings.REGWATCH_API_REQUIRE_AUTH = True
    assert client.get("/api/v1/measures/").status_code == 401
