"""Writers and readers through a real multi-process server: with If-Match racing writers lose
no update, and a write is seen at once by anonymous readers on every worker, whatever their
workers had cached."""

import threading

import pytest

from tests.live_server import demo_server, request

ROUNDS = 8
KEY = "cn-mofcom-2025-62"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("race"), "race") as (base, token):
        yield base, token


def append_notes(base: str, token: str, writer: str, outcomes: list) -> None:
    url = f"{base}/api/v1/measures/{KEY}/"
    for number in range(ROUNDS):
        while True:
            status, headers, body = request("GET", url, token=token)
            assert status == 200
            events = body["events"] + [
                {"date": "2030-01-01", "type": "note", "note": f"{writer}-{number}"}
            ]
            status, _, _ = request(
                "PATCH",
                url,
                token=token,
                body={"events": events},
                headers={"If-Match": headers["ETag"]},
            )
            outcomes.append(status)
            if status == 200:
                break
            assert status == 412


def test_racing_writers_with_if_match_lose_no_update(server):
    base, token = server
    outcomes: list[int] = []
    writers = [
        threading.Thread(target=append_notes, args=(base, token, name, outcomes)) for name in "AB"
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
    _, _, body = request("GET", f"{base}/api/v1/measures/{KEY}/", token=token)
    notes = sorted(e["note"] for e in body["events"] if e["date"] == "2030-01-01")
    assert notes == sorted(f"{w}-{n}" for w in "AB" for n in range(ROUNDS))
    assert outcomes.count(200) == 2 * ROUNDS


def test_every_worker_serves_a_write_to_the_next_anonymous_read(server):
    base, token = server
    url = f"{base}/api/v1/measures/{KEY}/"
    before = {request("GET", url)[2]["title"] for _ in range(12)}  # cached on both workers
    assert len(before) == 1
    status, _, _ = request("PATCH", url, token=token, body={"title": "Seen everywhere"})
    assert status == 200
    assert {request("GET", url)[2]["title"] for _ in range(12)} == {"Seen everywhere"}
