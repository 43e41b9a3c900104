"""A body sent with Transfer-Encoding: chunked (no Content-Length) is read, through a real
server (Granian); where the server cannot hand it over whole it is refused with 411, never
taken as empty."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

from tests.live_server import demo_server, request

KEY = "cn-mofcom-2025-62"
LIMIT = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(
        tmp_path_factory.mktemp("chunked"), "chunked", workers=1, REGWATCH_MAX_BODY_BYTES=str(LIMIT)
    ) as (base, token):
        yield base, token


def send_chunked(base: str, token: str, method: str, path: str, body: bytes, chunk: int = 7):
    """A raw request whose body goes in chunks of ``chunk`` bytes, with no Content-Length."""
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.putrequest(method, path)
        connection.putheader("Authorization", f"Token {token}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for start in range(0, len(body), chunk):
            part = body[start : start + chunk]
            connection.send(b"%x\r\n%s\r\n" % (len(part), part))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def test_chunked_patch_is_read_and_written(server):
    base, token = server
    body = json.dumps({"notes": "Sent in chunks."}).encode()
    status, answer = send_chunked(base, token, "PATCH", f"/api/v1/measures/{KEY}/", body)
    assert status == 200
    assert answer["notes"] == "Sent in chunks."
    _, _, stored = request("GET", f"{base}/api/v1/measures/{KEY}/")
    assert stored["notes"] == "Sent in chunks."


def test_chunked_post_creates(server):
    base, token = server
    body = json.dumps({"slug": "chunked-sector", "name": "Chunked sector"}).encode()
    status, answer = send_chunked(base, token, "POST", "/api/v1/sectors/", body)
    assert status == 201
    assert request("GET", answer["url"])[0] == 200


def test_chunked_body_over_the_limit_is_413_and_writes_nothing(server):
    base, token = server
    before = request("GET", f"{base}/api/v1/measures/{KEY}/")[2]
    body = json.dumps({"notes": "n" * LIMIT}).encode()
    status, answer = send_chunked(base, token, "PATCH", f"/api/v1/measures/{KEY}/", body, 1000)
    assert status == 413
    assert answer["errors"][0]["code"] == "request_too_large"
    assert request("GET", f"{base}/api/v1/measures/{KEY}/")[2] == before


def test_chunked_body_the_server_did_not_decode_is_411(editor_client, demo_data):
    """Without wsgi.input_terminated (Django's development server, say) the body cannot be
    read safely: refused, not taken as empty."""
    before = editor_client.get(f"/api/v1/measures/{KEY}/").json()
    response = editor_client.patch(
        f"/api/v1/measures/{KEY}/",
        json.dumps({"notes": "Lost?"}),
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["errors"][0]["code"] == "length_required"
    assert editor_client.get(f"/api/v1/measures/{KEY}/").json() == before
