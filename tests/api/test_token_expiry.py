"""API tokens expire (REGWATCH_TOKEN_TTL_DAYS, or per token with issue_token --expires-in);
an expired token is refused with 401, and the admin shows when each token expires."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.test_hardening import PRODUCTION_ENV, run_manage


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def issue(capsys, *args) -> tuple[str, str]:
    """(the Expires line, the token) that issue_token prints."""
    call_command("issue_token", "service", *args)
    *_, expires, token = capsys.readouterr().out.strip().splitlines()
    return expires, token


@pytest.fixture
def service(db) -> User:
    return User.objects.create_superuser("service")


def test_an_expired_token_is_401_and_deleted(service, demo_data):
    instance, token = AuthToken.objects.create(service, expiry=datetime.timedelta(seconds=-1))
    response = client_with(token).get("/api/v1/measures/")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_a_token_expires_after_the_configured_days_by_default(service, capsys, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=90)}
    expires, token = issue(capsys)
    expiry = AuthToken.objects.get(user=service).expiry
    assert abs(expiry - (timezone.now() + datetime.timedelta(days=90))) < datetime.timedelta(
        minutes=1
    )
    assert expires == f"Expires: {expiry.isoformat(timespec='seconds').replace('+00:00', 'Z')}"
    assert client_with(token).get("/api/v1/measures/").status_code == 200


@pytest.mark.parametrize(("days", "lifetime"), [("7", datetime.timedelta(days=7)), ("0", None)])
def test_issue_token_expires_in_sets_that_token_s_lifetime(
    service, demo_data, capsys, days, lifetime
):
    expires, token = issue(capsys, "--expires-in", days)
    expiry = AuthToken.objects.get(user=service).expiry
    if lifetime is None:
        assert (expires, expiry) == ("Expires: never", None)
    else:
        assert abs(expiry - (timezone.now() + lifetime)) < datetime.timedelta(minutes=1)
        assert expires.startswith(f"Expires: {expiry.date().isoformat()}T")
    assert client_with(token).get("/api/v1/measures/").status_code == 200


def test_issue_token_refuses_a_negative_lifetime(service):
    with pytest.raises(CommandError, match="expires-in"):
        call_command("issue_token", "service", "--expires-in", "-1")
    assert not AuthToken.objects.filter(user=service).exists()


def test_the_admin_lists_each_token_s_expiry(admin_client, service):
    instance, _ = AuthToken.objects.create(service, expiry=datetime.timedelta(days=30))
    page = admin_client.get("/admin/knox/authtoken/").content.decode()
    assert re.search(r'class="[^"]*column-expiry[^"]*">\s*<div class="text">.*Expiry', page)
    shown = re.search(r'<td class="field-expiry[^"]*">([^<]*)<', page)[1]
    expiry = timezone.localtime(instance.expiry)
    assert f"{expiry:%Y-%m-%d %H:%M:%S}" in shown  # the admin's dates are ISO 8601


@pytest.mark.parametrize(
    ("value", "ttl"), [("7", "7 days, 0:00:00"), ("0", "None"), (None, "90 days, 0:00:00")]
)
def test_the_setting_gives_the_lifetime_of_new_tokens(value, ttl):
    env = {**PRODUCTION_ENV, **({"REGWATCH_TOKEN_TTL_DAYS": value} if value else {})}
    result = run_manage(
        "shell", "-c", "from knox.settings import knox_settings; print(knox_settings.TOKEN_TTL)",
        env=env,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == ttl, result.stderr


def test_a_negative_setting_refuses_to_start():
    result = run_manage("check", env={**PRODUCTION_ENV, "REGWATCH_TOKEN_TTL_DAYS": "-1"})
    assert result.returncode != 0
    assert "REGWATCH_TOKEN_TTL_DAYS" in result.stderr
