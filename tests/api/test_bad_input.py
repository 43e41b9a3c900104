"""A catalogue of bad requests: each gets a 4xx JSON answer naming what was wrong, and the
database is the same afterwards."""

import json

import pytest

from tests.api.test_measure_writes import database_state, new_measure

MEASURE = "/api/v1/measures/cn-mofcom-2025-62/"


def body(**overrides):
    return json.dumps(new_measure(**overrides))


CATALOGUE = [
    # (label, method, url, raw body, expected status, attr named in an error or None)
    ("malformed json", "post", "/api/v1/measures/", '{"key": "x",', 400, None),
    (
        "json array instead of object",
        "post",
        "/api/v1/measures/",
        "[1, 2]",
        400,
        "non_field_errors",
    ),
    ("invalid utf-8", "post", "/api/v1/measures/", b'{"key": "\xff\xfe"}', 400, None),
    (
        "lone surrogate",
        "post",
        "/api/v1/measures/",
        body(title="\\ud800 broken").replace("\\\\ud800", "\\ud800"),
        400,
        None,
    ),
    (
        "nul in a string",
        "post",
        "/api/v1/measures/",
        body(title="bad\\u0000title").replace("\\\\u0000", "\\u0000"),
        400,
        None,
    ),
    ("wrong type: list for text", "post", "/api/v1/measures/", body(title=["a"]), 400, "title"),
    (
        "wrong type: text for list",
        "post",
        "/api/v1/measures/",
        body(materials="gallium"),
        400,
        "materials",
    ),
    (
        "wrong type: number for date",
        "post",
        "/api/v1/measures/",
        body(announced_on=20250101),
        400,
        "announced_on",
    ),
    (
        "wrong type: object for slug",
        "post",
        "/api/v1/measures/",
        body(jurisdiction={"code": "CN"}),
        400,
        "jurisdiction",
    ),
    ("missing required fields", "post", "/api/v1/measures/", "{}", 400, "key"),
    ("unknown field", "post", "/api/v1/measures/", body(flavour="mint"), 400, "flavour"),
    (
        "unknown nested field",
        "post",
        "/api/v1/measures/",
        body(events=[{"date": "2026-01-01", "type": "note", "mood": "x"}]),
        400,
        "events.0.mood",
    ),
    ("over-long title", "post", "/api/v1/measures/", body(title="t" * 301), 400, "title"),
    ("over-long key", "post", "/api/v1/measures/", body(key="k" * 101), 400, "key"),
    (
        "over-long scope",
        "post",
        "/api/v1/measures/",
        body(materials=[{"material": "gallium", "scope": "s" * 1001}]),
        400,
        "materials.0.scope",
    ),
    ("year 1", "post", "/api/v1/measures/", body(announced_on="0001-01-01"), 400, "announced_on"),
    ("year 9999", "post", "/api/v1/measures/", body(ends_on="9999-12-31"), 400, "ends_on"),
    (
        "february 30",
        "post",
        "/api/v1/measures/",
        body(effective_on="2025-02-30"),
        400,
        "effective_on",
    ),
    (
        "event in year 1",
        "post",
        "/api/v1/measures/",
        body(events=[{"date": "0001-01-01", "type": "note"}]),
        400,
        "events.0.date",
    ),
    (
        "unknown nested slug",
        "post",
        "/api/v1/measures/",
        body(materials=[{"material": "kryptonite"}]),
        400,
        "materials.0.material",
    ),
    (
        "unknown code in list",
        "post",
        "/api/v1/measures/",
        body(target_jurisdictions=["US", "QQ"]),
        400,
        "target_jurisdictions",
    ),
    (
        "nul in nested slug",
        "post",
        "/api/v1/measures/",
        body(sectors=["de\\u0000fence"]).replace("\\\\u0000", "\\u0000"),
        400,
        None,
    ),
    ("patch with wrong type", "patch", MEASURE, '{"effective_on": true}', 400, "effective_on"),
    # No coercion: a value of another JSON type than the schema says is refused, not converted.
    ("number for text", "post", "/api/v1/measures/", body(title=0), 400, "title"),
    ("boolean for text", "post", "/api/v1/measures/", body(summary=True), 400, "summary"),
    ("number for a choice", "post", "/api/v1/measures/", body(measure_type=1), 400, "measure_type"),
    ("number for a slug", "post", "/api/v1/measures/", body(jurisdiction=86), 400, "jurisdiction"),
    (
        "object for a list of slugs",
        "post",
        "/api/v1/measures/",
        body(authorities={"mofcom": 1}),
        400,
        "authorities",
    ),
    (
        "number in a list of slugs",
        "post",
        "/api/v1/measures/",
        body(sectors=["defence", 5]),
        400,
        "sectors",
    ),
    (
        "number for nested text",
        "post",
        "/api/v1/measures/",
        body(materials=[{"material": "gallium", "scope": 5}]),
        400,
        "materials.0.scope",
    ),
    ("patch number for text", "patch", "/api/v1/sectors/defence/", '{"name": 0}', 400, "name"),
    (
        "string for integer",
        "patch",
        "/api/v1/materials/gallium/",
        '{"atomic_number": "31"}',
        400,
        "atomic_number",
    ),
    (
        "boolean for integer",
        "patch",
        "/api/v1/materials/gallium/",
        '{"atomic_number": true}',
        400,
        "atomic_number",
    ),
    (
        "number in a list of text",
        "patch",
        "/api/v1/materials/gallium/",
        '{"hs_codes": [2805]}',
        400,
        "hs_codes.0",
    ),
    ("put missing required", "put", MEASURE, '{"title": "only"}', 400, "jurisdiction"),
    ("body over the limit", "post", "/api/v1/measures/", body(summary="s" * 2_000_000), 413, None),
    ("not json at all", "post", "/api/v1/measures/", "key=x&title=y", 400, None),
]


@pytest.mark.parametrize(
    ("method", "url", "raw", "expected", "attr"),
    [case[1:] for case in CATALOGUE],
    ids=[case[0] for case in CATALOGUE],
)
def test_bad_body_is_refused_and_changes_nothing(
    editor_client, demo_data, method, url, raw, expected, attr
):
    before = database_state()
    response = getattr(editor_client, method)(url, raw, content_type="application/json")
    assert response.status_code == expected, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    errors = response.json()["errors"]
    assert all(error["detail"] for error in errors)
    if attr:
        assert any((error["attr"] or "").startswith(attr) for error in errors), errors
    assert database_state() == before


QUERY_CATALOGUE = [
    ("huge page number", "/api/v1/measures/?page=99999999999999999999", 404, None),
    ("negative page", "/api/v1/measures/?page=-1", 400, "page"),
    ("huge page size", "/api/v1/measures/?page_size=99999999999999999999", 400, "page_size"),
    ("page size in other digits", "/api/v1/measures/?page_size=%D9%A1", 400, "page_size"),
    ("page size with a sign", "/api/v1/measures/?page_size=%2B2", 400, "page_size"),
    ("page size with a space", "/api/v1/measures/?page_size=%202", 400, "page_size"),
    (
        "page size of 4,301 digits",
        "/api/v1/events/?page_size=" + "0" * 4300 + "1",
        400,
        "page_size",
    ),
    ("page of 4,301 digits", "/api/v1/events/?page=" + "9" * 4301, 400, "page"),
    ("feed limit with a sign", "/api/v1/changes/?limit=%2B5", 400, "limit"),
    ("feed limit as a decimal", "/api/v1/changes/?limit=5.0", 400, "limit"),
    ("feed limit in other digits", "/api/v1/changes/?limit=%D9%A2", 400, "limit"),
    ("nul byte", "/api/v1/measures/?q=%00", 400, "q"),
    ("nul byte in a list item", "/api/v1/materials/?group=gall%00ium,x", 400, "group"),
    ("nul byte in a slug", "/api/v1/measures/?material=%00", 400, "material"),
    ("invalid utf-8 date", "/api/v1/measures/?in_force_on=%ff%fe", 400, "in_force_on"),
    ("year 0 date", "/api/v1/measures/?as_of=0000-01-01&status=in_force", 400, "as_of"),
    (
        "timezone-less garbage datetime",
        "/api/v1/measures/?updated_since=2025-13-45T99:00",
        400,
        "updated_since",
    ),
]


@pytest.mark.parametrize(
    ("url", "expected", "attr"),
    [c[1:] for c in QUERY_CATALOGUE],
    ids=[c[0] for c in QUERY_CATALOGUE],
)
def test_bad_query_is_refused(client, demo_data, url, expected, attr):
    response = client.get(url)
    assert response.status_code == expected
    errors = response.json()["errors"]
    if attr:
        assert attr in {error["attr"] for error in errors}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Only the words count: these find what their words find, and harm nothing.
        ("'; DROP TABLE timeline_measure; --", set()),
        ("<script>alert(1)</script>", set()),
        ('gallium" OR "x', set()),
        ("gallium:* | graphite", {"cn-mofcom-2024-46-art2", "cn-mofcom-2025-72"}),
        ("🦄 " * 5 + "a" * 5000, set()),
    ],
)  # fmt: skip
def test_hostile_search_strings_are_just_words(client, demo_data, text, expected):
    response = client.get("/api/v1/measures/", {"q": text, "page_size": 500})
    assert response.status_code == 200
    assert expected <= {m["key"] for m in response.json()["results"]}
    if not expected:
        assert response.json()["results"] == []
    assert client.get("/api/v1/measures/").json()["count"] == 19


@pytest.mark.parametrize("text", ["%", "_", "\\", "🦄", "\ufffd", "--"])
def test_a_search_without_a_letter_or_digit_finds_nothing(client, demo_data, text):
    response = client.get("/api/v1/measures/", {"q": text})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_nul_in_the_admin_search_is_refused_before_the_database(admin_client, demo_data):
    response = admin_client.get("/admin/timeline/measure/?q=gall%00ium")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("name", 0, "Expected a string, got an integer."),
        ("name", 1.5, "Expected a string, got a number."),
        ("name", False, "Expected a string, got a boolean."),
        ("name", ["Gallium"], "Expected a string, got an array."),
        ("atomic_number", "31", "Expected an integer, got a string."),
        ("atomic_number", 31.5, "Expected an integer, got a number."),
        ("groups", {"rare-earth-elements": True}, "Expected an array, got an object."),
    ],
)
def test_a_value_of_another_json_type_is_refused_saying_which(
    editor_client, demo_data, field, value, detail
):
    response = editor_client.patch("/api/v1/materials/gallium/", {field: value}, format="json")
    assert response.status_code == 400
    code = "not_a_list" if field == "groups" else "invalid"
    assert response.json()["errors"] == [{"code": code, "detail": detail, "attr": field}]


@pytest.mark.parametrize(
    ("field", "value"),
    [("atomic_number", 31), ("atomic_number", 31.0), ("atomic_number", None), ("symbol", "Ga")],
)
def test_values_of_the_schemas_type_are_accepted(editor_client, demo_data, field, value):
    response = editor_client.patch("/api/v1/materials/gallium/", {field: value}, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"sources": [{"title": "No address"}]}, "sources.0.url"),
        ({"events": [{"note": "No day"}]}, "events.0.date"),
        ({"materials": [{"scope": "metal"}]}, "materials.0.material"),
        ({"related": [{"relation": "amends"}]}, "related.0.measure"),
    ],
)
def test_a_patch_gives_each_item_of_a_list_it_replaces_whole(editor_client, demo_data, body, attr):
    before = database_state()
    response = editor_client.patch(MEASURE, body, format="json")
    assert response.status_code == 400, response.content
    assert attr in {error["attr"] for error in response.json()["errors"]}
    assert database_state() == before


def test_an_overlong_website_is_a_400_not_a_database_error(editor_client, demo_data):
    before = database_state()
    response = editor_client.post(
        "/api/v1/authorities/",
        {
            "slug": "long-site",
            "name": "Long",
            "abbreviation": "LS",
            "jurisdiction": "CN",
            "website": "https://example.org/" + "a" * 300,
        },
        format="json",
    )
    assert response.status_code == 400
    assert {error["attr"] for error in response.json()["errors"]} == {"website"}
    assert database_state() == before


@pytest.mark.parametrize(
    "day", ["20250601", "2025-6-1", "2025-W22-7", "01/06/2025", "2025-06-01T00:00:00Z"]
)
@pytest.mark.parametrize(
    "field", ["announced_on", "effective_on", "events.0.date", "sources.0.published_on"]
)
def test_a_day_in_a_body_is_yyyy_mm_dd_and_nothing_else(editor_client, demo_data, field, day):
    if field == "events.0.date":
        body = {"events": [{"date": day, "type": "note"}]}
    elif field == "sources.0.published_on":
        body = {"sources": [{"url": "https://example.org/", "published_on": day}]}
    else:
        body = {field: day}
    before = database_state()
    response = editor_client.patch(MEASURE, body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in {error["attr"] for error in errors}
    assert any("YYYY-MM-DD" in error["detail"] for error in errors)
    assert database_state() == before


@pytest.mark.parametrize(
    ("body", "attr", "suggested"),
    [
        ({"materials": [{"material": "dysprosum"}]}, "materials.0.material", "dysprosium"),
        ({"authorities": ["mofcon"]}, "authorities", "mofcom"),
        ({"jurisdiction": "QQ"}, "jurisdiction", None),
        (
            {"related": [{"measure": "cn-mofcom-2025-621", "relation": "amends"}]},
            "related.0.measure",
            "cn-mofcom-2025-62",
        ),
    ],
)
def test_an_unknown_record_in_a_body_is_named_with_the_nearest(
    editor_client, demo_data, body, attr, suggested
):
    response = editor_client.patch(MEASURE, body, format="json")
    assert response.status_code == 400
    [error] = [e for e in response.json()["errors"] if e["attr"] == attr]
    assert error["code"] == "does_not_exist"
    if suggested:
        assert f"Did you mean `{suggested}`?" in error["detail"]


@pytest.mark.parametrize(
    ("url", "raw"),
    [
        (MEASURE, '{"notes": "a", "notes": "b"}'),
        (MEASURE, '{"events": [{"date": "2026-01-01", "date": "2026-01-02", "type": "note"}]}'),
        ("/api/v1/imports/?dry_run=true", '{"measures": [], "measures": []}'),
    ],
)
def test_a_member_named_twice_in_a_json_object_is_refused(editor_client, demo_data, url, raw):
    before = database_state()
    response = editor_client.generic(
        "PATCH" if url == MEASURE else "POST", url, raw, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "twice" in response.json()["errors"][0]["detail"]
    assert database_state() == before


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/api/v1/measures", "Did you mean `/api/v1/measures/`?"),
        (
            "/api/v1/materials/gallium/timeline",
            "Did you mean `/api/v1/materials/gallium/timeline/`?",
        ),
        ("/api/v1/nope", None),
        ("/api/whatever.php", None),
    ],
)
def test_an_address_without_its_slash_is_pointed_to_one_that_exists(client, db, path, hint):
    response = client.get(path)
    assert response.status_code == 404
    detail = response.json()["errors"][0]["detail"]
    assert (hint in detail) if hint else ("Did you mean" not in detail)
