"""Two web processes and two workers on one PostgreSQL database, a real receiver on
loopback: every matching change is delivered exactly once per subscription, and a retry
carries the same ``webhook-id`` as the attempt it repeats."""

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict

import psycopg
import pytest

from tests.live_server import (
    ROOT,
    free_port,
    fresh_database,
    manage,
    request,
    server_command,
    server_env,
    serving,
)

from .receiver import receiving

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="several workers share a PostgreSQL database",
)
WAIT_SECONDS = 180


def queue_is_empty(database_url: str) -> bool:
    with psycopg.connect(database_url) as connection:
        [(waiting,)] = connection.execute(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE status IN ('READY', 'RUNNING')"
        ).fetchall()
    return waiting == 0


def test_two_webs_and_two_workers_deliver_each_matching_change_once_per_subscription(tmp_path):
    failed_once: set[str] = set()

    def answer(headers, body) -> int:
        # The first attempt of every third delivery fails: its retry must reuse the id.
        webhook_id = headers["webhook-id"]
        if int(webhook_id[-2:], 16) % 3 == 0 and webhook_id not in failed_once:
            failed_once.add(webhook_id)
            return 500
        return 200

    with (
        fresh_database(tmp_path, "webhooks") as database_url,
        receiving(answer) as receiver,
    ):
        env = server_env(
            database_url,
            REGWATCH_WEBHOOKS_ALLOW_LOOPBACK="true",
            REGWATCH_WEBHOOKS_RETRY_SECONDS="0.2",
            REGWATCH_WEBHOOKS_RETRY_FACTOR="1",
        )
        manage(env, "migrate", "--noinput")
        manage(env, "load_timeline")
        manage(
            env,
            "shell",
            "-c",
            "from django.contrib.auth.models import User; User.objects.create_superuser('hooks')",
        )
        token = manage(env, "issue_token", "hooks").strip().splitlines()[-1]
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "db_worker",
                    "--interval",
                    "0.1",
                    "--no-reload",
                    "--no-startup-delay",
                    "--worker-id",
                    f"worker-{n}",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in (1, 2)
        ]
        ports = [free_port(), free_port()]
        try:
            with (
                serving(server_command(ports[0], workers=1), env, ports[0],
                        "/api/v1/sectors/") as first,
                serving(server_command(ports[1], workers=1), env, ports[1],
                        "/api/v1/sectors/") as second,
            ):  # fmt: skip
                sent = run_writes(first, second, token, receiver.url)
                deadline = time.monotonic() + WAIT_SECONDS
                while time.monotonic() < deadline and not (
                    len(receiver.succeeded()) >= sent["expected"] and queue_is_empty(database_url)
                ):
                    time.sleep(0.2)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)

    by_subscription: dict[str, list[str]] = defaultdict(list)
    ids_of_cursor: dict[tuple[str, str], set[str]] = defaultdict(set)
    for received in receiver.received:
        path = "all" if received.headers["x-path"].endswith("/all") else "china"
        cursor = json.loads(received.body)["data"]["cursor"]
        ids_of_cursor[(path, cursor)].add(received.headers["webhook-id"])
        if received.status == 200:
            by_subscription[path].append(cursor)
    assert Counter(by_subscription["all"]) == Counter(sent["all"])
    assert Counter(by_subscription["china"]) == Counter(sent["china"])
    assert all(len(ids) == 1 for ids in ids_of_cursor.values())
    assert failed_once  # some retries happened, and were counted once above
    assert {r.headers["webhook-id"] for r in receiver.received if r.status == 500} <= {
        r.headers["webhook-id"] for r in receiver.received if r.status == 200
    }


def run_writes(first: str, second: str, token: str, receiver_url: str) -> dict:
    """Subscribe twice, then retitle measures through both web processes at once; returns
    the cursors each subscription should get, read from the feed."""
    for name, body in (
        ("all", {"kinds": ["measure"]}),
        ("china", {"kinds": ["measure"], "filter": {"jurisdiction": "CN"}}),
    ):
        status, _, created = request(
            "POST", f"{first}/api/v1/subscriptions/", token=token,
            body={"target_url": f"{receiver_url}/{name}", **body},
        )  # fmt: skip
        assert status == 201, created
    _, _, head = request("GET", f"{first}/api/v1/changes/?limit=1000")
    while head["results"]:
        _, _, head = request("GET", head["next"])
    start = head["next_cursor"]
    _, _, page = request("GET", f"{first}/api/v1/measures/?page_size=30&ordering=key")
    keys = [measure["key"] for measure in page["results"]]

    def write(base: str, chunk: list[str]) -> None:
        for number, key in enumerate(chunk):
            status, _, body = request(
                "PATCH", f"{base}/api/v1/measures/{key}/", token=token,
                body={"title": f"Retitled {number}"},
            )  # fmt: skip
            assert status == 200, body

    threads = [
        threading.Thread(target=write, args=(first, keys[0::2])),
        threading.Thread(target=write, args=(second, keys[1::2])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, _, changes = request("GET", f"{first}/api/v1/changes/?after={start}&kind=measure&limit=1000")
    china = {
        m["key"]
        for m in request("GET", f"{first}/api/v1/measures/?jurisdiction=CN&page_size=500")[2][
            "results"
        ]
    }
    every = [c["cursor"] for c in changes["results"]]
    in_china = [c["cursor"] for c in changes["results"] if c["key"] in china]
    assert len(every) == len(keys) and in_china
    return {"all": every, "china": in_china, "expected": len(every) + len(in_china)}
