import json

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from tests.api.test_measure_writes import new_measure
from timeline.models import Measure
from timeline.services import delete_measure
from webhooks.models import Delivery, Subscription
from webhooks.queue import queue_status

from .jobs import make_due, run_jobs
from .receiver import receiving

URL = "/api/v1/subscriptions/"


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.REGWATCH_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.REGWATCH_WEBHOOKS_ATTEMPTS = 3
    settings.REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES = 0


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def subscribe(client, target_url, **body) -> dict:
    response = client.post(URL, {"target_url": target_url, **body}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def retitle(editor_client, key: str, title: str) -> None:
    response = editor_client.patch(f"/api/v1/measures/{key}/", {"title": title}, format="json")
    assert response.status_code == 200, response.content


def test_a_change_is_posted_signed_as_standard_webhooks_says(
    reader_client, editor_client, demo_data, receiver
):
    subscription = subscribe(reader_client, receiver.url, kinds=["measure"])
    run_jobs()
    retitle(editor_client, "cn-mofcom-2025-62", "Signed")

    run_jobs()

    [received] = receiver.received
    body = Webhook(subscription["secret"]).verify(received.body, received.headers)
    assert body["type"] == "measure.updated"
    assert body["data"]["key"] == "cn-mofcom-2025-62"
    assert body["data"]["measure"]["title"] == "Signed"
    feed = reader_client.get("/api/v1/changes/", {"key": "cn-mofcom-2025-62"}).json()
    assert body["data"] == feed["results"][-1]
    assert received.headers["webhook-id"].startswith("msg_")


def test_the_delivery_log_shows_each_attempt(reader_client, editor_client, demo_data, receiver):
    subscription = subscribe(reader_client, receiver.url)
    retitle(editor_client, "cn-mofcom-2025-62", "Logged")
    run_jobs()

    [entry] = reader_client.get(subscription["url"] + "deliveries/").json()["results"]

    assert entry["attempt"] == 1
    assert entry["response_status"] == 200
    assert entry["error"] == ""
    assert entry["latency_ms"] > 0
    assert entry["delivery_status"] == "delivered"
    assert (entry["kind"], entry["key"], entry["action"]) == (
        "measure",
        "cn-mofcom-2025-62",
        "updated",
    )
    assert entry["webhook_id"] == receiver.received[0].headers["webhook-id"]


def test_a_change_matching_several_subscriptions_goes_to_each(
    reader_client, editor_client, demo_data, receiver
):
    first = subscribe(reader_client, receiver.url + "/first")
    second = subscribe(reader_client, receiver.url + "/second")
    retitle(editor_client, "cn-mofcom-2025-62", "Twice")
    run_jobs()

    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(receiver.received) == 2 and len(ids) == 2
    assert {d.subscription_id for d in Delivery.objects.all()} == {first["id"], second["id"]}


def test_a_filter_keeps_the_measures_it_matches(reader_client, editor_client, demo_data, receiver):
    subscribe(reader_client, receiver.url, filter={"jurisdiction": "CN"}, kinds=["measure"])
    other = Measure.objects.exclude(jurisdiction__code="CN").values_list("key", flat=True).first()
    retitle(editor_client, other, "Elsewhere")
    retitle(editor_client, "cn-mofcom-2025-62", "In China")
    run_jobs()

    assert [json.loads(r.body)["data"]["key"] for r in receiver.received] == ["cn-mofcom-2025-62"]


def test_a_deletion_goes_to_a_filtered_subscription_told_of_the_measure(
    reader_client, editor_client, demo_data, receiver
):
    subscribe(reader_client, receiver.url, filter={"jurisdiction": "CN"}, kinds=["measure"])
    assert editor_client.post("/api/v1/measures/", new_measure(), format="json").status_code == 201
    run_jobs()
    assert editor_client.delete("/api/v1/measures/cn-test-2026-1/").status_code == 204
    run_jobs()

    assert [json.loads(r.body)["type"] for r in receiver.received] == [
        "measure.created",
        "measure.deleted",
    ]


def test_a_rolled_back_write_is_delivered_to_none(reader_client, demo_data, receiver):
    subscribe(reader_client, receiver.url)
    run_jobs()
    with pytest.raises(RuntimeError), transaction.atomic():
        delete_measure(Measure.objects.get(key="cn-mofcom-2025-62"), force=True)
        raise RuntimeError("abandon")
    run_jobs()

    assert receiver.received == []


def test_changes_before_the_subscription_are_not_delivered(
    reader_client, editor_client, demo_data, receiver
):
    retitle(editor_client, "cn-mofcom-2025-62", "Before")
    subscribe(reader_client, receiver.url)
    run_jobs()

    assert receiver.received == []


def test_a_failed_delivery_is_retried_with_the_same_webhook_id(
    reader_client, editor_client, demo_data
):
    answers = iter([500, 503, 200])
    with receiving(lambda headers, body: next(answers)) as receiver:
        subscription = subscribe(reader_client, receiver.url)
        retitle(editor_client, "cn-mofcom-2025-62", "Retried")
        run_jobs()
        assert len(receiver.received) == 1  # the retry waits for its backoff
        make_due()
        run_jobs()
        make_due()
        run_jobs()

    assert [r.status for r in receiver.received] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    log = reader_client.get(subscription["url"] + "deliveries/").json()["results"]
    assert [(e["attempt"], e["response_status"]) for e in log] == [(3, 200), (2, 503), (1, 500)]
    assert log[-1]["error"] == "the receiver answered 500"


def test_retries_wait_longer_each_time(settings):
    from webhooks.tasks import retry_delay

    settings.REGWATCH_WEBHOOKS_RETRY_SECONDS = 10
    settings.REGWATCH_WEBHOOKS_RETRY_FACTOR = 3
    settings.REGWATCH_WEBHOOKS_RETRY_MAX_SECONDS = 60

    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 30, 60, 60]


def test_a_delivery_is_given_up_after_the_attempts_allowed(reader_client, editor_client, demo_data):
    with receiving(lambda headers, body: 500) as receiver:
        subscribe(reader_client, receiver.url)
        retitle(editor_client, "cn-mofcom-2025-62", "Never")
        for _ in range(5):
            run_jobs()
            make_due()

    assert len(receiver.received) == 3
    assert Delivery.objects.get().status == "failed"


def test_a_run_of_failures_disables_the_subscription_saying_why(
    reader_client, editor_client, demo_data, settings
):
    settings.REGWATCH_WEBHOOKS_DISABLE_AFTER_FAILURES = 2
    with receiving(lambda headers, body: 502) as receiver:
        subscription = subscribe(reader_client, receiver.url)
        retitle(editor_client, "cn-mofcom-2025-62", "Down")
        for _ in range(4):
            run_jobs()
            make_due()

    shown = reader_client.get(subscription["url"]).json()
    assert len(receiver.received) == 2
    assert shown["is_active"] is False
    assert "2 failed attempts in a row" in shown["disabled_reason"]
    assert "502" in shown["disabled_reason"]


def test_a_manual_redelivery_posts_again_with_the_same_webhook_id(
    reader_client, editor_client, demo_data, receiver
):
    subscription = subscribe(reader_client, receiver.url)
    retitle(editor_client, "cn-mofcom-2025-62", "Again")
    run_jobs()
    delivery = Delivery.objects.get()

    response = reader_client.post(subscription["url"] + f"deliveries/{delivery.pk}/redeliver/")
    run_jobs()

    assert response.status_code == 202, response.content
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.webhook_id] * 2
    log = reader_client.get(subscription["url"] + "deliveries/").json()["results"]
    assert [(e["attempt"], e["manual"]) for e in log] == [(2, True), (1, False)]


def test_redelivering_for_a_disabled_subscription_is_409(reader_client, editor_client, demo_data):
    with receiving() as receiver:
        subscription = subscribe(reader_client, receiver.url)
        retitle(editor_client, "cn-mofcom-2025-62", "Again")
        run_jobs()
    Subscription.objects.update(is_active=False, disabled_reason="by hand")
    delivery = Delivery.objects.get()

    response = reader_client.post(subscription["url"] + f"deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 409
    assert "by hand" in response.json()["errors"][0]["detail"]


def test_someone_elses_delivery_cannot_be_redelivered(reader_client, editor_client, demo_data):
    with receiving() as receiver:
        mine = subscribe(reader_client, receiver.url)
        theirs = subscribe(editor_client, receiver.url)
        retitle(editor_client, "cn-mofcom-2025-62", "Theirs")
        run_jobs()
    delivery = Delivery.objects.get(subscription_id=theirs["id"])

    response = reader_client.post(mine["url"] + f"deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        (["10.1.2.3"], "private address"),
        (["169.254.169.254"], "link-local"),
        (["93.184.215.14", "192.168.1.10"], "private address"),  # one bad answer spoils all
        (["::ffff:127.0.0.1"], "loopback"),
    ],
)
def test_a_name_resolving_to_an_internal_address_is_not_contacted(
    monkeypatch, settings, answers, reason
):
    import socket

    from webhooks.sending import post

    settings.REGWATCH_WEBHOOKS_ALLOW_LOOPBACK = False
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, **kwargs: [(None, None, None, "", (a, port)) for a in answers],
    )

    outcome = post("https://hooks.example.com/regwatch", b"{}", {})

    assert outcome.status is None
    assert outcome.error.startswith("refused: hooks.example.com resolves to")
    assert reason in outcome.error


def test_the_queue_reports_its_depth_and_the_age_of_its_oldest_job(
    reader_client, editor_client, demo_data
):
    run_jobs()
    assert queue_status().depth == 0 and queue_status().oldest_age_seconds is None

    retitle(editor_client, "cn-mofcom-2025-62", "Queued")
    status = queue_status()

    assert status.reachable and status.depth == 1
    assert status.oldest_age_seconds >= 0
