"""The shared response cache in front of Django: anonymous reads of the timeline are answered
from stored bytes until a write or a new day, without weakening rate limits, authentication or
conditional GET. Requests go through the WSGI application as a server would call it."""

import os

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.authentication import BaseAuthentication

from api.views import MeasureViewSet
from tests.wsgi_client import wsgi_client

DETAIL = "/api/v1/measures/cn-mofcom-2025-62/"


@pytest.fixture
def read_cache(settings, real_cache):
    settings.REGWATCH_READ_CACHE_SECONDS = 300


@pytest.fixture
def wsgi(read_cache):
    return wsgi_client()


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
def test_anonymous_hit_reads_only_the_version_and_repeats_the_response(wsgi, demo_data, url):
    first = wsgi(url)
    assert first.status == 200
    with CaptureQueriesContext(connection) as queries:
        again = wsgi(url)
    assert len(queries) == 1  # the timeline's version
    assert again == first


READS = [
    "/api/v1/measures/?material=gallium",
    DETAIL,
    "/api/v1/measures/cn-mofcom-2025-72/",  # relates to cn-mofcom-2024-46-art2
    f"{DETAIL}timeline/",
    "/api/v1/events/?type=suspended",
    "/api/v1/materials/gallium/timeline/",
    "/api/v1/materials/gallium/",
]


@pytest.mark.parametrize(
    "write",
    [
        lambda c: c.patch(
            DETAIL,
            {
                "title": "Changed",
                "materials": [{"material": "gallium"}],
                "events": [{"date": "2026-01-01", "type": "suspended"}],
            },
            format="json",
        ),
        lambda c: c.patch("/api/v1/materials/gallium/", {"name": "Gallium metal"}, format="json"),
        lambda c: c.patch(
            "/api/v1/materials/germanium/", {"groups": ["rare-earth-elements"]}, format="json"
        ),
        lambda c: c.delete("/api/v1/measures/cn-mofcom-2024-46-art2/?force=true"),
    ],
)
@pytest.mark.parametrize("reader", ["anonymous, shared answers", "signed in, cached data"])
def test_every_cached_read_follows_every_write(
    wsgi, editor_client, demo_data, settings, write, reader
):
    """After a write, every read answers as a fresh computation would."""

    def read(url: str) -> bytes:
        return (
            wsgi(url).content if reader.startswith("anonymous") else editor_client.get(url).content
        )

    for url in READS:
        read(url)
    write(editor_client)
    cached = {url: read(url) for url in READS}
    settings.REGWATCH_READ_CACHE_SECONDS = 0
    assert cached == {url: read(url) for url in READS}


@pytest.mark.parametrize(
    ("url", "queries_on_a_hit"),
    [
        ("/api/v1/events/?type=suspended", 1),  # the version
        (DETAIL, 1),  # the version (a detail is read by key only when computed)
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


@pytest.mark.parametrize("url", ["/api/v1/events/?type=suspended", DETAIL])
def test_an_anonymous_answer_is_kept_once_as_its_bytes(wsgi, editor_client, demo_data, url):
    """The shared cache keeps an anonymous answer whole; the view's own cache (for signed-in
    clients) is not filled as well, so a signed-in read after it computes its answer."""
    assert wsgi(url).status == 200
    with CaptureQueriesContext(connection) as queries:
        editor_client.get(url)
    data = [q for q in queries.captured_queries if "timeline_measure" in q["sql"]]
    assert data, "the signed-in read was answered from a cache the anonymous read filled"


def test_a_write_is_seen_by_the_next_anonymous_read(wsgi, editor_client, demo_data):
    assert wsgi(DETAIL).json()["title"] != "Renamed"
    wsgi(DETAIL)
    editor_client.patch(DETAIL, {"title": "Renamed"}, format="json")
    assert wsgi(DETAIL).json()["title"] == "Renamed"


@pytest.mark.parametrize("url", [DETAIL, "/api/v1/events/?type=suspended", "/api/v1/sectors/"])
def test_if_none_match_on_a_hit_is_304_with_the_etag(wsgi, demo_data, url):
    etag = wsgi(url).headers["ETag"]
    with CaptureQueriesContext(connection) as queries:
        response = wsgi(url, If_None_Match=etag)
    assert len(queries) == 1  # a hit
    assert (response.status, response.content) == (304, b"")
    assert response.headers["ETag"] == etag
    assert wsgi(url, If_None_Match=f"W/{etag}").status == 304
    assert wsgi(url, If_None_Match='"other"').status == 200


def test_cached_answers_are_counted_by_outcome(wsgi, demo_data):
    from prometheus_client import REGISTRY

    def counted(outcome: str) -> float:
        sample = "regwatch_shared_cache_answers_total"
        return REGISTRY.get_sample_value(sample, {"outcome": outcome}) or 0.0

    etag = wsgi("/api/v1/sectors/").headers["ETag"]
    hits, not_modified = counted("hit"), counted("not_modified")
    wsgi("/api/v1/sectors/")
    wsgi("/api/v1/sectors/", If_None_Match=etag)
    wsgi("/api/v1/sectors/", If_None_Match=etag)

    assert (counted("hit"), counted("not_modified")) == (hits + 1, not_modified + 2)


def test_hits_count_against_the_rate_limit(wsgi, demo_data, settings):
    settings.REGWATCH_THROTTLE_ANON = "3/minute"
    assert [wsgi(DETAIL).status for _ in range(3)] == [200, 200, 200]
    response = wsgi(DETAIL)
    assert response.status == 429
    assert response.json()["errors"][0]["code"] == "throttled"


def test_a_bad_token_is_refused_even_when_the_answer_is_cached(wsgi, demo_data):
    wsgi(DETAIL)
    response = wsgi(DETAIL, Authorization="Token not-a-token")
    assert response.status == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"


def test_anonymous_reads_stay_refused_when_the_api_requires_sign_in(wsgi, demo_data, settings):
    wsgi(DETAIL)
    settings.REGWATCH_API_REQUIRE_AUTH = True
    assert wsgi(DETAIL).status in (401, 403)


def test_each_media_type_gets_its_own_answer(wsgi, demo_data):
    assert wsgi(DETAIL, Accept="application/json").json()["key"] == "cn-mofcom-2025-62"
    assert wsgi(DETAIL, Accept="text/html").headers["Content-Type"].startswith("text/html")
    response = wsgi(DETAIL, Accept="application/json")
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("first", ["empty", "left out"])
def test_an_empty_accept_header_is_not_one_left_out(wsgi, demo_data, first):
    empty, left_out = (lambda: wsgi(DETAIL, Accept="")), (lambda: wsgi(DETAIL))
    asked = [empty, left_out] if first == "empty" else [left_out, empty]
    answers = [ask().status for ask in asked * 2]
    assert answers == ([406, 200] if first == "empty" else [200, 406]) * 2


def test_each_origin_gets_its_own_cors_answer(wsgi, demo_data, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://allowed.example"]
    allowed = wsgi(DETAIL, Origin="https://allowed.example")
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://allowed.example"
    other = wsgi(DETAIL, Origin="https://other.example")
    assert "Access-Control-Allow-Origin" not in other.headers


@pytest.mark.parametrize("first", ["authenticated", "anonymous"])
def test_history_names_users_to_authenticated_readers_only_whatever_came_first(
    wsgi, editor_client, demo_data, first
):
    editor_client.patch(DETAIL, {"title": "Renamed"}, format="json")
    token = AuthToken.objects.create(user=User.objects.get(username="editor"))[1]
    url = f"{DETAIL}history/"

    def user(reader: str):
        headers = {"Authorization": f"Token {token}"} if reader == "authenticated" else {}
        return wsgi(url, **headers).json()["results"][0]["user"]

    readers = (
        ["authenticated", "anonymous"]
        if first == "authenticated"
        else ["anonymous", "authenticated"]
    )
    for reader in readers * 2:
        assert user(reader) == ("editor" if reader == "authenticated" else None)


class HeaderAuthentication(BaseAuthentication):
    """Signs in by a header the shared cache does not know about."""

    def authenticate(self, request):
        name = request.META.get("HTTP_X_TEST_USER")
        return (User.objects.get(username=name), None) if name else None


def test_an_answer_computed_for_a_signed_in_user_is_never_shared(wsgi, demo_data, monkeypatch):
    User.objects.create_user("someone")
    viewset = MeasureViewSet
    monkeypatch.setattr(
        viewset, "authentication_classes", [HeaderAuthentication, *viewset.authentication_classes]
    )
    assert wsgi(DETAIL, X_Test_User="someone").status == 200
    with CaptureQueriesContext(connection) as queries:
        assert wsgi(DETAIL).status == 200
    assert len(queries) > 1  # computed: the signed-in answer was not kept for others
    with CaptureQueriesContext(connection) as queries:
        wsgi(DETAIL)
    assert len(queries) == 1  # the anonymous answer was


@pytest.fixture
def redis_cache(settings, read_cache):
    """The shared cache production runs with several workers. CI sets REGWATCH_TEST_REDIS_URL;
    without it (a machine with no Redis) these tests are skipped."""
    url = os.environ.get("REGWATCH_TEST_REDIS_URL")
    if not url:
        pytest.skip("REGWATCH_TEST_REDIS_URL is not set")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    cache.clear()
    yield
    cache.clear()


def test_workers_share_answers_and_invalidation_through_redis(
    redis_cache, editor_client, demo_data
):
    first_worker, second_worker = wsgi_client(), wsgi_client()
    answer = first_worker(DETAIL)
    with CaptureQueriesContext(connection) as queries:
        assert second_worker(DETAIL) == answer
    assert len(queries) == 1  # the other worker's answer, found in Redis
    editor_client.patch(DETAIL, {"title": "Renamed"}, format="json")
    assert first_worker(DETAIL).json()["title"] == "Renamed"
    assert second_worker(DETAIL).json()["title"] == "Renamed"


def test_rate_limits_count_across_workers_through_redis(redis_cache, demo_data, settings):
    settings.REGWATCH_THROTTLE_ANON = "3/minute"
    workers = [wsgi_client(), wsgi_client()]
    statuses = [workers[n % 2](DETAIL).status for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_signed_in_answer_is_kept_apart_for_http_and_https(wsgi, demo_data, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _, token = AuthToken.objects.create(user=User.objects.create_user("reader"))
    signed_in = {"Authorization": f"Token {token}"}
    plain = wsgi(DETAIL, **signed_in).json()["url"]
    secure = wsgi(DETAIL, X_Forwarded_Proto="https", **signed_in).json()["url"]
    assert (plain.split(":")[0], secure.split(":")[0]) == ("http", "https")


def test_a_request_with_cookies_is_answered_by_django_not_the_cache(wsgi, demo_data):
    """A malformed CSRF cookie is renewed by Django's answer; a kept answer would drop that."""
    assert wsgi(DETAIL).status == 200  # kept for cookieless clients
    with CaptureQueriesContext(connection) as queries:
        answer = wsgi(DETAIL, Cookie="csrftoken=abc")
    assert answer.status == 200 and len(queries) > 1
    assert answer.headers["Set-Cookie"].strip().startswith("csrftoken=")
