import pytest

from timeline.models import Measure

URL = "/api/v1/measures/cn-mofcom-2025-62/"


def test_detail_carries_strong_etag_and_last_modified(client, demo_data):
    response = client.get(URL)
    assert response["ETag"].startswith('"') and not response["ETag"].startswith("W/")
    assert response["Last-Modified"].endswith("GMT")


def test_if_none_match_current_gives_304_without_body(client, demo_data):
    etag = client.get(URL)["ETag"]
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


@pytest.mark.parametrize(
    "held",
    [
        "{etag}",
        "W/{etag}",
        '"other", W/{etag}',
        "*",
    ],
    ids=["strong", "weak, as a compressing proxy sends it", "in a list", "any"],
)
def test_if_none_match_uses_the_weak_comparison(client, demo_data, held):
    """RFC 9110 section 13.1.2: If-None-Match compares weakly."""
    etag = client.get(URL)["ETag"]
    response = client.get(URL, HTTP_IF_NONE_MATCH=held.format(etag=etag))
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_if_none_match_stale_gives_the_body(client, editor_client, demo_data):
    etag = client.get(URL)["ETag"]
    editor_client.patch(URL, {"notes": "Checked."}, format="json")
    response = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["notes"] == "Checked."


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_stale_if_match_is_412_and_changes_nothing(editor_client, demo_data, method):
    stale = editor_client.get(URL)["ETag"]
    editor_client.patch(URL, {"notes": "Someone else's edit."}, format="json")
    body = editor_client.get(URL).json()
    changed = {**body, "title": "Mine"}
    kwargs = {"format": "json", "HTTP_IF_MATCH": stale}
    response = getattr(editor_client, method)(
        URL, *(() if method == "delete" else (changed,)), **kwargs
    )
    assert response.status_code == 412
    assert response.json()["errors"][0]["code"] == "precondition_failed"
    assert editor_client.get(URL).json() == body


def test_weak_if_match_never_matches(editor_client, demo_data):
    """RFC 9110 section 13.1.1: If-Match compares strongly, so a weak tag is always stale."""
    current = editor_client.get(URL)["ETag"]
    response = editor_client.patch(
        URL, {"notes": "Mine."}, format="json", HTTP_IF_MATCH=f"W/{current}"
    )
    assert response.status_code == 412
    assert editor_client.get(URL)["ETag"] == current


def test_current_if_match_writes_and_returns_the_new_etag(editor_client, demo_data):
    current = editor_client.get(URL)["ETag"]
    response = editor_client.patch(URL, {"notes": "Mine."}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 200
    assert response["ETag"] != current
    assert editor_client.get(URL)["ETag"] == response["ETag"]


def test_write_without_if_match_is_accepted(editor_client, demo_data):
    assert editor_client.patch(URL, {"notes": "Blind write."}, format="json").status_code == 200


def test_etag_follows_changes_to_what_the_representation_shows(client, editor_client, demo_data):
    before = client.get(URL)["ETag"]
    editor_client.patch(
        "/api/v1/materials/rare-earth-processing-technology/",
        {"name": "REE processing technology"},
        format="json",
    )
    assert client.get(URL)["ETag"] != before


def test_if_match_on_other_resources(editor_client, demo_data):
    url = "/api/v1/materials/gallium/"
    stale = editor_client.get(url)["ETag"]
    assert editor_client.patch(url, {"name": "Gallium metal"}, format="json").status_code == 200
    assert (
        editor_client.patch(url, {"name": "Ga"}, format="json", HTTP_IF_MATCH=stale).status_code
        == 412
    )
    assert Measure.objects.filter(key="cn-mofcom-2025-62").exists()


LISTS = [
    "/api/v1/measures/?material=gallium",
    "/api/v1/materials/",
    "/api/v1/jurisdictions/",
    "/api/v1/authorities/",
    "/api/v1/sectors/",
    "/api/v1/events/?type=suspended",
    f"{URL}timeline/",
    "/api/v1/materials/gallium/timeline/",
]


@pytest.mark.parametrize("url", LISTS)
def test_list_page_carries_a_strong_etag(client, demo_data, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["ETag"].startswith('"')


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("weak", [False, True], ids=["strong", "weak"])
def test_list_if_none_match_current_gives_304_without_body(client, demo_data, url, weak):
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=f"W/{etag}" if weak else etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


GALLIUM_MEASURE = "/api/v1/measures/cn-mofcom-gac-2023-23/"
CHANGES = [
    # (list, a write that changes what it shows)
    (LISTS[0], GALLIUM_MEASURE, {"title": "Renamed"}),
    (LISTS[1], "/api/v1/materials/gallium/", {"name": "Gallium metal"}),
    (LISTS[2], "/api/v1/jurisdictions/CN/", {"name": "Renamed"}),
    (LISTS[3], "/api/v1/authorities/mofcom/", {"name": "Renamed"}),
    (LISTS[4], "/api/v1/sectors/defence/", {"name": "Renamed"}),
    (LISTS[5], URL, {"events": [{"date": "2026-01-01", "type": "suspended"}]}),
    (LISTS[6], URL, {"title": "Renamed"}),
    (LISTS[7], GALLIUM_MEASURE, {"title": "Renamed"}),
]


@pytest.mark.parametrize(("url", "changed", "change"), CHANGES)
def test_list_if_none_match_gets_the_body_after_a_change(
    client, editor_client, demo_data, url, changed, change
):
    etag = client.get(url)["ETag"]
    assert editor_client.patch(changed, change, format="json").status_code == 200
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_each_page_of_a_list_has_its_own_etag(client, demo_data):
    first = client.get("/api/v1/measures/", {"page_size": 5})["ETag"]
    second = client.get("/api/v1/measures/", {"page_size": 5, "page": 2})["ETag"]
    assert first != second
