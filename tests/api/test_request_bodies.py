"""Request bodies through a real server (Granian): a body is written only when it arrived
whole. A chunked body, which the server hands over as far as it arrived, is refused with 411;
one cut off before its Content-Length with 400; nothing of either is written."""

import io
import json
import urllib.request
from urllib.parse import urlsplit

import pytest

from api.middleware import WholeBody
from tests.live_server import demo_server, raw_request, request

KEY = "cn-mofcom-2025-62"
LIMIT = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_server(
        tmp_path_factory.mktemp("bodies"), "bodies", workers=1, REGWATCH_MAX_BODY_BYTES=str(LIMIT)
    ) as (base, token):
        yield base, token


def exchange(base: str, data: bytes, *, close_sending: bool = False) -> tuple[int, dict] | None:
    """(status, JSON answer) to the raw request ``data``; None when unanswered."""
    answer = raw_request(base, data, close_sending=close_sending)
    if answer is None:
        return None
    return answer.status, json.loads(answer.body) if answer.body else {}


def head(base: str, token: str, method: str, path: str, content_type: str, **fields) -> bytes:
    """A request line and headers, with ``fields`` (``Content_Length=9``) among them."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {urlsplit(base).hostname}",
             f"Authorization: Token {token}", f"Content-Type: {content_type}",
             "Connection: close",
             *(f"{name.replace('_', '-')}: {value}" for name, value in fields.items())]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, chunk: int = 7) -> bytes:
    parts = (body[start : start + chunk] for start in range(0, len(body), chunk))
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def send_cut_off(base: str, token: str, method: str, path: str, content_type: str,
                 body: bytes, sent: int) -> tuple[int, dict] | None:  # fmt: skip
    """A request declaring ``body``'s length whose client sends its first ``sent`` bytes and
    then closes its side."""
    start = head(base, token, method, path, content_type, Content_Length=len(body))
    return exchange(base, start + body[:sent], close_sending=True)


def refused_as_incomplete(answer: tuple[int, dict] | None) -> bool:
    return answer is None or (answer[0], answer[1]["errors"][0]["code"]) == (400, "parse_error")


def test_a_chunked_write_is_411_and_writes_nothing(server):
    base, token = server
    before = request("GET", f"{base}/api/v1/measures/{KEY}/")[2]
    body = json.dumps({"notes": "Sent in chunks."}).encode()
    start = head(base, token, "PATCH", f"/api/v1/measures/{KEY}/", "application/json",
                 Transfer_Encoding="chunked")  # fmt: skip
    status, answer = exchange(base, start + chunked(body))
    assert status == 411
    assert answer["errors"][0]["code"] == "length_required"
    assert request("GET", f"{base}/api/v1/measures/{KEY}/")[2] == before


def test_a_malformed_chunked_body_is_not_taken_as_empty(server):
    base, token = server
    before = request("GET", f"{base}/api/v1/measures/{KEY}/")[2]
    start = head(base, token, "PATCH", f"/api/v1/measures/{KEY}/", "application/json",
                 Transfer_Encoding="chunked")  # fmt: skip
    answer = exchange(base, start + b'zz\r\n{"notes":"x"}\r\n0\r\n\r\n')
    assert answer is None or answer[0] >= 400
    assert request("GET", f"{base}/api/v1/measures/{KEY}/")[2] == before


def test_a_write_cut_off_before_its_length_writes_nothing(server):
    base, token = server
    before = request("GET", f"{base}/api/v1/measures/{KEY}/")[2]
    body = json.dumps({"notes": "Cut off here and nothing is lost."}).encode()
    cut = body.index(b"here") + 4
    answer = send_cut_off(
        base, token, "PATCH", f"/api/v1/measures/{KEY}/", "application/json", body, cut
    )
    assert refused_as_incomplete(answer)
    assert request("GET", f"{base}/api/v1/measures/{KEY}/")[2] == before


def test_an_import_cut_off_before_its_length_stores_nothing(server):
    base, token = server
    rows = "".join(
        f"cut-off-{n},Cut-off import {n},CN,MOFCOM,export_licence_requirement,gallium\r\n"
        for n in range(5)
    )
    body = ("key,title,jurisdiction,authorities,measure_type,materials\r\n" + rows).encode()
    cut = body.index(b"cut-off-3")  # the header and three whole records sent
    answer = send_cut_off(base, token, "POST", "/api/v1/imports/", "text/csv", body, cut)
    assert refused_as_incomplete(answer)
    for n in range(5):
        assert request("GET", f"{base}/api/v1/measures/cut-off-{n}/")[0] == 404

    whole = urllib.request.Request(f"{base}/api/v1/imports/", data=body, method="POST")
    whole.add_header("Authorization", f"Token {token}")
    whole.add_header("Content-Type", "text/csv")
    with urllib.request.urlopen(whole, timeout=30) as response:
        assert response.status == 200  # the same file, sent whole, is taken
    assert request("GET", f"{base}/api/v1/measures/cut-off-4/")[0] == 200


def test_a_body_shorter_than_its_length_is_400_before_any_view():
    """What the server passes on when a client stops sending: the body so far, then its end."""
    called, started = [], []
    environ = {
        "REQUEST_METHOD": "PATCH",
        "PATH_INFO": f"/api/v1/measures/{KEY}/",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": "40",
        "wsgi.input": io.BytesIO(b'{"notes": "cut'),
    }
    body = WholeBody(lambda *args: called.append(args))(
        environ, lambda status, headers: started.append(status)
    )
    answer = json.loads(b"".join(body))
    assert (started, called) == (["400 Bad Request"], [])
    assert (answer["type"], answer["errors"][0]["code"]) == ("client_error", "parse_error")
    assert "after 14 of the 40 bytes" in answer["errors"][0]["detail"]


def test_a_whole_write_is_read_and_written(server):
    base, token = server
    status, _, answer = request(
        "PATCH", f"{base}/api/v1/measures/{KEY}/", token=token, body={"notes": "Sent whole."}
    )
    assert (status, answer["notes"]) == (200, "Sent whole.")


def test_a_body_over_the_limit_is_413_on_any_method_and_writes_nothing(server):
    base, token = server
    before = request("GET", f"{base}/api/v1/measures/{KEY}/")[2]
    body = {"notes": "n" * LIMIT}
    for method, path in (("PATCH", f"/api/v1/measures/{KEY}/"), ("GET", "/api/v1/events/")):
        status, _, answer = request(method, base + path, token=token, body=body)
        assert status == 413, method
        assert answer["errors"][0]["code"] == "request_too_large"
    assert request("GET", f"{base}/api/v1/measures/{KEY}/")[2] == before


def test_a_chunked_body_is_411_whatever_the_server(editor_client, demo_data):
    """Django's development server and test client, too: refused, not taken as empty."""
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
