import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from knox.models import AuthToken

from tests.api.conftest import token_client

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "DJANGO_SETTINGS_MODULE": "regwatch.settings",
    "DJANGO_SECRET_KEY": "x9!" * 20 + "production-grade-secret-key-of-sufficient-length",
    "DJANGO_ALLOWED_HOSTS": "regwatch.example",
    "DJANGO_DEBUG": "false",  # stated, so a developer's .env cannot turn debug on here
}


def run_manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_under_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [("REGWATCH_THROTTLE_ANON", "100"), ("REGWATCH_THROTTLE_USER", "ten/minute"),
     ("REGWATCH_THROTTLE_ANON", "100/week"), ("REGWATCH_PROXY_COUNT", "-1")],
)  # fmt: skip
def test_refuses_to_start_with_a_rate_limit_or_proxy_count_it_cannot_read(name, value):
    result = run_manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_refuses_to_start_in_production_without_a_secret_key():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": ""}  # empty, not absent: .env cannot fill it
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.fixture
def throttled(settings, real_cache):
    settings.REGWATCH_THROTTLE_ANON = "3/minute"
    settings.REGWATCH_THROTTLE_USER = "5/minute"


def test_anonymous_clients_are_throttled_with_retry_after(client, demo_data, throttled):
    for _ in range(3):
        assert client.get("/api/v1/sectors/").status_code == 200
    response = client.get("/api/v1/sectors/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "throttled"


def test_authenticated_clients_have_their_own_higher_limit(editor_client, demo_data, throttled):
    statuses = [editor_client.get("/api/v1/sectors/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]


def test_a_forwarded_for_header_does_not_make_a_new_client(client, demo_data, throttled):
    statuses = [
        client.get("/api/v1/sectors/", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
        for i in range(4)
    ]
    assert statuses == [200] * 3 + [429]


def test_behind_a_proxy_the_address_it_saw_is_the_client(client, demo_data, throttled, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def status(forwarded_for: str) -> int:
        return client.get("/api/v1/sectors/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert [status(f"10.9.9.{i}, 198.51.100.1") for i in range(3)] == [200] * 3
    assert status("10.9.9.9, 198.51.100.1") == 429  # what the client wrote itself does not count
    assert status("198.51.100.2") == 200  # another client behind the same proxy


def test_admin_lockouts_read_the_client_address_as_the_rate_limits_do(rf, settings):
    from axes.helpers import get_client_ip_address

    request = rf.get(
        "/admin/login/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.1"
    )
    assert (
        get_client_ip_address(request) == "10.0.0.1"
    )  # no proxies declared: the header is ignored
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert get_client_ip_address(request) == "198.51.100.1"


def test_without_an_anonymous_limit_anonymous_clients_are_not_limited(
    client, demo_data, throttled, settings
):
    settings.REGWATCH_THROTTLE_ANON = None
    statuses = {client.get("/api/v1/sectors/").status_code for _ in range(8)}
    assert statuses == {200}


def test_cors_allows_only_configured_origins_on_the_api(client, demo_data, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://dashboard.example"]
    allowed = client.get("/api/v1/sectors/", HTTP_ORIGIN="https://dashboard.example")
    assert allowed["Access-Control-Allow-Origin"] == "https://dashboard.example"
    other = client.get("/api/v1/sectors/", HTTP_ORIGIN="https://elsewhere.example")
    assert "Access-Control-Allow-Origin" not in other


def test_a_browser_app_may_revalidate_with_the_validators_it_is_shown(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://dashboard.example"]
    preflight = client.options(
        "/api/v1/measures/",
        HTTP_ORIGIN="https://dashboard.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match, if-modified-since",
    )
    allowed = preflight["Access-Control-Allow-Headers"].split(", ")
    assert {"if-none-match", "if-modified-since"} <= set(allowed)


def test_admin_login_is_locked_after_repeated_failures(client, django_user_model, settings):
    django_user_model.objects.create_superuser("boss", password="correct horse battery staple")
    url = "/admin/login/?next=/admin/"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "boss", "password": "wrong"}).status_code == 200
    locked = client.post(url, {"username": "boss", "password": "wrong"})
    assert locked.status_code == 429
    still_locked = client.post(
        url, {"username": "boss", "password": "correct horse battery staple"}
    )
    assert still_locked.status_code == 429


def test_tokens_are_stored_hashed_and_can_be_revoked(django_user_model, demo_data, capsys):
    user = django_user_model.objects.create_user("service")
    instance, token = AuthToken.objects.create(user=user)
    assert token not in {instance.digest, instance.token_key}
    assert not AuthToken.objects.filter(digest=token).exists()
    client = token_client(user)
    assert client.get("/api/v1/measures/").status_code == 200
    call_command("revoke_tokens", "service")
    assert client.get("/api/v1/measures/").status_code == 401


def test_nul_in_query_string_is_400_naming_the_parameter(client, demo_data):
    response = client.get("/api/v1/measures/?q=gall%00ium")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "q"


def test_body_over_the_limit_is_413(editor_client, demo_data, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = editor_client.post(
        "/api/v1/sectors/", {"slug": "x", "name": "x" * 2000}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
