import pytest

from tests.live_server import free_port, request, server_command, server_env, serving


@pytest.mark.django_db
def test_healthz_answers_without_authentication_whatever_the_host(client):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_names_the_database_and_the_cache_when_both_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_503_naming_the_cache_when_it_cannot_be_reached(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/5",  # nothing listens there
        }
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert response.json()["checks"]["database"] == "ok"


def refuse() -> None:
    raise ConnectionRefusedError("queue down")


@pytest.mark.django_db
def test_a_check_added_in_the_settings_is_run_and_named_when_it_fails(client, settings):
    settings.REGWATCH_READINESS_CHECKS = {
        **settings.REGWATCH_READINESS_CHECKS,
        "queue": "tests.ops.test_health.refuse",
    }

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "failing": ["queue"],
        "checks": {"database": "ok", "cache": "ok", "queue": "ConnectionRefusedError"},
    }


@pytest.mark.django_db
def test_probes_take_only_get_and_head(client):
    assert client.post("/healthz").status_code == 405
    assert client.head("/readyz").status_code == 200


def test_a_server_whose_database_is_gone_is_up_but_not_ready(tmp_path):
    missing = tmp_path / "no-such-directory" / "db.sqlite3"
    env = server_env(f"sqlite:///{missing}", DJANGO_ALLOWED_HOSTS="regwatch.example")
    port = free_port()

    with serving(server_command(port, workers=1), env, port, "/healthz") as base:
        up_status, _, up = request("GET", base + "/healthz")
        ready_status, _, ready = request("GET", base + "/readyz")

    assert (up_status, up) == (200, {"status": "ok"})
    assert ready_status == 503
    assert ready["failing"] == ["database", "queue"]  # the queue's jobs live in the database


@pytest.mark.django_db
def test_probes_are_never_rate_limited(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.REGWATCH_THROTTLE_ANON = "1/minute"

    answers = [client.get(path).status_code for path in ["/healthz", "/readyz"] * 3]
    api = [client.get("/api/v1/sectors/").status_code for _ in range(2)]

    assert answers == [200] * 6
    assert api == [200, 429]


@pytest.mark.django_db
def test_probes_over_plain_http_are_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/sectors/").status_code == 301
