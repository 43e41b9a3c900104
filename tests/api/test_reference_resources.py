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
        # A chemical symbol is a synonym of its element; a longer last word is a beginning.
        ({"q": "dy"}, {"dysprosium"}),
        ({"q": "Ga"}, {"gallium"}),
        ({"q": "gad"}, {"gadolinium"}),
        ({"q": "heavy rare-earth"}, {"medium-and-heavy-rare-earth-elements"}),
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


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (["2805.30", "2805 30 19 10"], ["280530", "2805301910"]),
        (["28", "8112.92"], ["28", "811292"]),
        ([], []),
    ],
)
def test_material_hs_codes_accept_dots_and_spaces_and_are_stored_as_digits(
    editor_client, demo_data, given, stored
):
    response = editor_client.patch("/api/v1/materials/gallium/", {"hs_codes": given}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["hs_codes"] == stored


@pytest.mark.parametrize(
    ("given", "detail"),
    [
        (["2899"], "2899 is not a chapter, heading or subheading of HS 2022."),
        (
            ["2805991910"],
            "2805991910 is a national tariff line under 280599, which is not a subheading of HS 2022.",
        ),
        (["28.0.5.3"], "'28053' is not an HS code"),
    ],
)
def test_material_hs_code_outside_the_nomenclature_is_400_naming_hs_codes(
    editor_client, demo_data, given, detail
):
    response = editor_client.patch("/api/v1/materials/gallium/", {"hs_codes": given}, format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["attr"] == "hs_codes"
    assert error["detail"].startswith(detail)


@pytest.mark.parametrize(
    ("field", "value", "attr"),
    [
        ("hs_codes", ["12ab"], "hs_codes"),
        ("hs_codes", [2805], "hs_codes.0"),
        ("groups", ["gallium"], "groups"),
    ],
)
def test_material_refuses_bad_hs_code_and_non_group_parent(
    editor_client, demo_data, field, value, attr
):
    response = editor_client.post(
        "/api/v1/materials/",
        {"slug": "x", "name": "X", "category": "product", field: value},
        format="json",
    )
    assert response.status_code == 400
    assert error_attrs(response) == {attr}


def test_authority_list(client, demo_data):
    assert {item["slug"] for item in results(client.get("/api/v1/authorities/"))} == {
        "mofcom", "gac", "most", "bis", "nhtsa", "ec",
    }  # fmt: skip


def test_jurisdiction_list_holds_every_built_in_jurisdiction(client, demo_data):
    response = client.get("/api/v1/jurisdictions/", {"page_size": 500})
    by_code = {item["code"]: item for item in results(response)}
    assert response.json()["count"] == len(by_code) == 249 + 9
    assert by_code["EU"] == {
        "code": "EU",
        "url": "http://testserver/api/v1/jurisdictions/EU/",
        "name": "European Union",
        "kind": "bloc",
    }


@pytest.mark.parametrize(
    ("code", "kind"), [("cn", "country"), ("Eu", "bloc"), ("un", "organisation"), ("JP", "country")]
)
def test_jurisdiction_lookup_ignores_case_and_answers_upper_case(client, demo_data, code, kind):
    response = client.get(f"/api/v1/jurisdictions/{code}/")
    assert response.status_code == 200, response.content
    assert (response.json()["code"], response.json()["kind"]) == (code.upper(), kind)


def test_body_codes_ignore_case_and_are_answered_upper_case(editor_client, demo_data):
    from tests.api.test_measure_writes import new_measure

    response = editor_client.post(
        "/api/v1/measures/",
        new_measure(jurisdiction="cn", target_jurisdictions=["us", "Jp"]),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["jurisdiction"] == "CN"
    assert response.json()["target_jurisdictions"] == ["JP", "US"]
    authority = editor_client.post(
        "/api/v1/authorities/",
        {"slug": "meti", "name": "METI", "abbreviation": "METI", "jurisdiction": "jp"},
        format="json",
    )
    assert authority.status_code == 201, authority.content
    assert authority.json()["jurisdiction"] == "JP"


@pytest.mark.parametrize(
    ("body", "code", "kind"),
    [
        ({"code": "xk", "name": "Kosovo"}, "XK", "country"),
        ({"code": "CPTPP", "name": "CPTPP parties", "kind": "bloc"}, "CPTPP", "bloc"),
    ],
)
def test_new_jurisdiction_is_stored_upper_case_with_a_kind(
    editor_client, demo_data, body, code, kind
):
    response = editor_client.post("/api/v1/jurisdictions/", body, format="json")
    assert response.status_code == 201, response.content
    assert (response.json()["code"], response.json()["kind"]) == (code, kind)
    assert editor_client.get(f"/api/v1/jurisdictions/{code.lower()}/").status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "body", "attr"),
    [
        ("post", "/api/v1/jurisdictions/", {"code": "c1", "name": "Digits"}, "code"),
        ("post", "/api/v1/jurisdictions/", {"code": "XK", "name": "K", "kind": "planet"}, "kind"),
        ("patch", "/api/v1/jurisdictions/cn/", {"code": "US"}, "code"),
    ],
)
def test_bad_jurisdiction_writes_are_400_naming_the_field(
    editor_client, demo_data, method, url, body, attr
):
    response = getattr(editor_client, method)(url, body, format="json")
    assert response.status_code == 400, response.content
    assert error_attrs(response) == {attr}


def test_put_back_of_a_jurisdiction_in_lower_case_changes_nothing(editor_client, demo_data):
    body = editor_client.get("/api/v1/jurisdictions/JP/").json()
    response = editor_client.put("/api/v1/jurisdictions/jp/", {**body, "code": "jp"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == body


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


def test_an_existing_code_in_any_case_is_a_409_naming_the_code(editor_client, demo_data):
    response = editor_client.post(
        "/api/v1/jurisdictions/", {"code": "cn", "name": "China again"}, format="json"
    )
    assert response.status_code == 409
    assert error_attrs(response) == {"code"}
    assert response.json()["errors"][0]["detail"].endswith("/api/v1/jurisdictions/CN/")


@pytest.mark.parametrize(
    ("url", "kind"),
    [("/api/v1/jurisdictions/eu/", "country"), ("/api/v1/jurisdictions/CN/", "organisation")],
)
def test_a_built_in_code_keeps_its_kind_with_a_409(editor_client, demo_data, url, kind):
    response = editor_client.patch(url, {"kind": kind}, format="json")
    assert response.status_code == 409
    assert error_attrs(response) == {"kind"}
    assert "built in" in response.json()["errors"][0]["detail"]


def test_a_material_given_as_a_group_is_named_as_not_a_group(editor_client, demo_data):
    response = editor_client.patch(
        "/api/v1/materials/rare-earth-elements/", {"groups": ["dysprosium"]}, format="json"
    )
    assert response.status_code == 400
    assert "not a group" in response.json()["errors"][0]["detail"]
