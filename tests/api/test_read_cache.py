"""The shared read cache: anonymous reads of the timeline are answered from stored bytes until
a write or a new day, without weakening rate limits, authentication or conditional GET."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

DETAIL = "/api/v1/measures/cn-mofcom-2025-62/"


@pytest.fixture
def read_cache(settings, real_cache):
    settings.REGWATCH_READ_CACHE_SECONDS = 300


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/measures/?material=rare-earth-elements&in_force_on=2025-06-01",
        "/api/v1/events/?type=suspended",
        DETAIL,
        "/api/v1/materials/gallium/timeline/",
        "/api/v1/sectors/",
    ],
)
def test_anonymous_hit_reads_only_the_version_and_repeats_the_response(
    client, demo_data, read_cache, url
):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url)
    assert len(queries) == 1  # the timeline's version
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers == first.headers


@pytest.mark.parametrize(
    ("url", "queries_on_a_hit"),
    [
        ("/api/v1/events/?type=suspended", 1),  # the version
        (DETAIL, 2),  # the object by key, then the version
    ],
)
def test_signed_in_hit_skips_the_data_queries(
    editor_client, demo_data, read_cache, url, queries_on_a_hit
):
    """Token clients are not served the shared bytes, but their data comes from the cache."""
    first = editor_client.get(url).content
    with CaptureQueriesContext(connection) as queries:
        assert editor_client.get(url).content == first
    token_lookups = [q for q in queries.captured_queries if "knox_authtoken" in q["sql"]]
    assert len(queries) - len(token_lookups) == queries_on_a_hit


def test_a_write_is_seen_by_the_next_anonymous_read(client, editor_client, demo_data, read_cache):
    assert client.get(DETAIL).json()["title"] != "Renamed"
    editor_client.patch(DETAIL, {"title": "Renamed"}, format="json")
    assert client.get(DETAIL).json()["title"] == "Renamed"


def test_if_none_match_on_a_hit_is_304_with_the_etag(client, demo_data, read_cache):
    etag = client.get(DETAIL)["ETag"]
    client.get(DETAIL)
    response = client.get(DETAIL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response["ETag"] == etag
    assert client.get(DETAIL, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_hits_count_against_the_rate_limit(client, demo_data, read_cache, settings):
    settings.REGWATCH_THROTTLE_ANON = "3/minute"
    assert [client.get(DETAIL).status_code for _ in range(3)] == [200, 200, 200]
    response = client.get(DETAIL)
    assert response.status_code == 429
    assert response.json()["errors"][0]["code"] == "throttled"


def test_a_bad_token_is_refused_even_when_the_answer_is_cached(client, demo_data, read_cache):
    client.get(DETAIL)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get(DETAIL)
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_anonymous_reads_stay_refused_when_the_api_requires_sign_in(
    client, demo_data, read_cache, settings
):
    client.get(DETAIL)
    settings.REGWATCH_API_REQUIRE_AUTH = True
    assert client.get(DETAIL).status_code in (401, 403)


def test_each_media_type_gets_its_own_answer(client, demo_data, read_cache):
    html = client.get(DETAIL, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    response = client.get(DETAIL, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    assert response.json()["key"] == "cn-mofcom-2025-62"


def test_history_is_not_shared_because_it_names_users(client, editor_client, demo_data, read_cache):
    editor_client.patch(DETAIL, {"title": "Renamed"}, format="json")
    url = f"{DETAIL}history/"
    assert client.get(url).json()["results"][0]["user"] == "editor"
    User.objects.filter(username="editor").update(username="editor-renamed")
    assert client.get(url).json()["results"][0]["user"] == "editor-renamed"
