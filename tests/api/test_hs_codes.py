import pytest
from django.core.management import call_command

from tests.api.conftest import results
from tests.api.test_read_cache import wsgi_client
from timeline.models import HSCode, Jurisdiction

BASE = "http://testserver/api/v1/hs/"


def reference(code: str, level: str, description: str) -> dict:
    return {"code": code, "url": f"{BASE}{code}/", "level": level, "description": description}


CHAPTER_28 = reference(
    "28",
    "chapter",
    "Inorganic chemicals; organic and inorganic compounds of precious metals; of rare earth "
    "metals, of radio-active elements and of isotopes",
)
HEADING_2805 = reference(
    "2805",
    "heading",
    "Alkali or alkaline-earth metals; rare-earth metals, scandium and yttrium, whether or not "
    "intermixed or interalloyed; mercury",
)


def test_a_subheading_shows_its_chapter_and_heading_and_has_no_children(client, db):
    body = client.get("/api/v1/hs/280530/").json()
    assert body == {
        **reference(
            "280530",
            "subheading",
            "Earth-metals, rare; scandium and yttrium, whether or not intermixed or interalloyed",
        ),
        "parents": [CHAPTER_28, HEADING_2805],
        "children": [],
        "national_line": None,
        "note": None,
    }


def test_a_heading_lists_its_subheadings_in_code_order(client, db):
    body = client.get("/api/v1/hs/2805/").json()
    assert body["parents"] == [CHAPTER_28]
    assert [child["code"] for child in body["children"]] == [
        "280511", "280512", "280519", "280530", "280540",
    ]  # fmt: skip
    assert body["children"][3]["url"] == f"{BASE}280530/"


def test_a_chapter_has_no_parents_and_lists_its_headings(client, db):
    body = client.get("/api/v1/hs/28/").json()
    assert body["parents"] == []
    assert body["level"] == "chapter"
    assert {child["level"] for child in body["children"]} == {"heading"}
    assert body["children"][0]["code"] == "2801"


@pytest.mark.parametrize("code", ["2805.30", "280530", "2805.30."])
def test_dots_are_ignored_in_the_address(client, db, code):
    response = client.get(f"/api/v1/hs/{code}/")
    assert response.status_code == 200
    assert response.json()["code"] == "280530"


@pytest.mark.parametrize("line", ["28053019", "280530191", "2805301910", "2805.30.19.10"])
def test_a_national_line_is_answered_with_its_subheading_and_a_note(client, db, line):
    body = client.get(f"/api/v1/hs/{line}/").json()
    digits = line.replace(".", "")
    assert (body["code"], body["url"], body["national_line"]) == (
        "280530",
        f"{BASE}280530/",
        digits,
    )
    assert body["note"].startswith(f"{digits} is a national tariff line, not part of the WCO's")
    assert [parent["code"] for parent in body["parents"]] == ["28", "2805"]


@pytest.mark.parametrize(
    "code",
    [
        "2899",
        "280599",
        "2805991910",
        "99",
        "77",
        "2",
        "280",
        "28053",
        "2805301",
        "28053019101",
        ".",
    ],
)
def test_a_code_the_nomenclature_does_not_list_is_404_json(client, db, code):
    response = client.get(f"/api/v1/hs/{code}/")
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("path", ["/api/v1/hs/28ab/", "/api/v1/hs/-28/"])
def test_an_address_that_is_no_code_at_all_is_404_json(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["type"] == "client_error"


def test_the_list_pages_through_the_chapters(client, db):
    first = client.get("/api/v1/hs/").json()
    assert first["count"] == 96
    assert len(first["results"]) == 50 and first["next"]
    assert first["results"][0] == reference("01", "chapter", "Animals; live")
    chapters = results(client.get("/api/v1/hs/", {"page_size": 500}))
    assert [c["code"] for c in chapters] == sorted(c["code"] for c in chapters)
    assert {c["level"] for c in chapters} == {"chapter"}


def test_detail_carries_a_strong_etag_and_answers_304_while_current(client, db):
    response = client.get("/api/v1/hs/2805/")
    etag = response.headers["ETag"]
    assert etag.startswith('"')
    assert client.get("/api/v1/hs/2805/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get("/api/v1/hs/280530/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_national_line_and_its_subheading_have_different_etags(client, db):
    line = client.get("/api/v1/hs/2805301910/").headers["ETag"]
    assert line != client.get("/api/v1/hs/280530/").headers["ETag"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_nomenclature_cannot_be_written_through_the_api(editor_client, db, method):
    url = "/api/v1/hs/" if method == "post" else "/api/v1/hs/2805/"
    response = getattr(editor_client, method)(url, {"description": "x"}, format="json")
    assert response.status_code == 405


def test_a_code_reads_in_two_queries_however_many_children(client, db, django_assert_num_queries):
    with django_assert_num_queries(2):  # the code with its parents; its children
        client.get("/api/v1/hs/28/")
    with django_assert_num_queries(2):
        client.get("/api/v1/hs/280530/")


@pytest.mark.parametrize(
    ("path", "change", "field", "restored"),
    [
        (
            "/api/v1/hs/28/",
            lambda: HSCode.objects.filter(code="28").update(description="Edited"),
            "description",
            CHAPTER_28["description"],
        ),
        (
            "/api/v1/jurisdictions/TR/",
            lambda: Jurisdiction.objects.filter(code="TR").update(name="Turkey"),
            "name",
            "Türkiye",
        ),
    ],
)
def test_a_reference_data_sync_is_seen_at_once_through_the_shared_cache(
    settings, real_cache, db, path, change, field, restored
):
    settings.REGWATCH_READ_CACHE_SECONDS = 300
    get = wsgi_client()
    change()  # behind the caches' back, as an old edition would be
    stale = get(path)
    assert get(path).content == stale.content
    call_command("sync_reference_data")
    assert get(path).json()[field] == restored
