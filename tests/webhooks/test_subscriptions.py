import pytest
from django.contrib.auth.models import User

from tests.api.conftest import token_client

URL = "/api/v1/subscriptions/"


@pytest.fixture
def loopback_allowed(settings):
    settings.REGWATCH_WEBHOOKS_ALLOW_LOOPBACK = True


def subscribe(client, **body):
    body.setdefault("target_url", "https://hooks.example.com/regwatch")
    return client.post(URL, body, format="json")


def test_the_signing_secret_is_shown_once_when_subscribing(reader_client, db):
    created = subscribe(reader_client)
    assert created.status_code == 201, created.content
    assert created.json()["secret"].startswith("whsec_")

    shown = reader_client.get(created.json()["url"]).json()

    assert "secret" not in shown
    assert shown["kinds"] == ["measure", "material", "authority", "jurisdiction", "sector"]


def test_a_user_sees_only_their_own_subscriptions(reader_client, db):
    mine = subscribe(reader_client).json()
    other = token_client(User.objects.create_user("other"))

    assert other.get(URL).json()["results"] == []
    assert other.get(mine["url"]).status_code == 404
    assert other.delete(mine["url"]).status_code == 404
    assert [s["id"] for s in reader_client.get(URL).json()["results"]] == [mine["id"]]


def test_subscribing_needs_a_token(client, db):
    assert subscribe(client).status_code == 401


@pytest.mark.parametrize(
    "target_url",
    [
        "http://hooks.example.com/regwatch",  # not https
        "https://127.0.0.1:9000/hooks",  # loopback, not allowed here
        "http://localhost:9000/hooks",
        "https://10.0.0.5/hooks",  # private
        "https://169.254.169.254/latest/meta-data/",  # link-local: cloud metadata
        "https://[fd00:ec2::254]/",  # private (a metadata address too)
        "https://user:pass@hooks.example.com/",
        "ftp://hooks.example.com/",
    ],
)
def test_unsafe_target_urls_are_refused_naming_the_field(reader_client, db, target_url):
    response = subscribe(reader_client, target_url=target_url)

    assert response.status_code == 400, response.content
    assert [e["attr"] for e in response.json()["errors"]] == ["target_url"]


def test_loopback_receivers_are_allowed_when_the_setting_says_so(
    reader_client, db, loopback_allowed
):
    assert subscribe(reader_client, target_url="http://127.0.0.1:9000/hooks").status_code == 201


@pytest.mark.parametrize(
    ("filter", "named", "code"),
    [
        ({"materail": "gallium"}, "materail", "unknown_parameter"),
        ({"material": "unobtainium"}, "material", "unknown"),
        ({"in_force_on": "2025-13-01"}, "in_force_on", "no_such_day"),
        ({"status": ""}, "status", "empty_value"),
        ({"ordering": "key"}, "ordering", "unknown_parameter"),
        ({"page": "2"}, "page", "unknown_parameter"),
        ({"facets": "status"}, "facets", "unknown_parameter"),
        ({"as_known_on": "2020-01-01T00:00:00Z"}, "as_known_on", "unknown_parameter"),
        ({"jurisdiction": "CN,,US"}, "jurisdiction", "empty_item"),
        (["material"], None, "invalid"),
        ({"material": 3}, None, "invalid"),
    ],
)
def test_filters_are_checked_as_the_measures_list_checks_its_query(
    reader_client, demo_data, filter, named, code
):
    response = subscribe(reader_client, filter=filter)

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["attr"], error["code"]) == ("filter", code)
    if named:
        assert error["detail"].startswith(f"`{named}`: ")


def test_a_filter_the_measures_list_accepts_is_kept_in_its_normal_form(reader_client, demo_data):
    response = subscribe(
        reader_client, filter={"jurisdiction": ["CN", "US"], "material": "gallium"}
    )

    assert response.status_code == 201, response.content
    assert response.json()["filter"] == {"jurisdiction": "CN,US", "material": "gallium"}


def test_resuming_a_disabled_subscription_clears_the_reason(reader_client, db):
    from webhooks.models import Subscription

    created = subscribe(reader_client).json()
    Subscription.objects.filter(pk=created["id"]).update(
        is_active=False, disabled_reason="Disabled after 3 failed attempts", failures_in_a_row=3
    )

    resumed = reader_client.patch(created["url"], {"is_active": True}, format="json").json()

    assert (resumed["is_active"], resumed["disabled_reason"], resumed["failures_in_a_row"]) == (
        True,
        "",
        0,
    )
