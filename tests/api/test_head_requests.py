"""A HEAD is answered with a GET's headers and no body, through a real server (Granian) that
keeps the connection alive: a body sent after a HEAD's headers would be read by the client as
the start of its next answer."""

import http.client
from urllib.parse import urlsplit

import pytest

from tests.live_server import demo_server

PATHS = [
    "/api/v1/measures/cn-mofcom-2025-62/",  # answered in front of Django
    "/api/v1/measures/?material=gallium&in_force_on=2025-01-01",
    "/api/v1/measures/?jurisdiction=CN",  # answered by Django
    "/api/v1/jurisdictions/CN/",
    "/healthz",
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("head"), "head", workers=1) as (base, _token):
        yield base


@pytest.mark.parametrize("path", PATHS)
def test_head_has_no_body_and_the_connection_goes_on(base, path):
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path)
        got = connection.getresponse()
        body = got.read()
        connection.request("HEAD", path)
        head = connection.getresponse()
        assert head.read() == b""
        connection.request("GET", path)  # the same connection, after the HEAD
        again = connection.getresponse()
        assert (again.status, again.read()) == (got.status, body)
    finally:
        connection.close()

    assert head.status == got.status == 200
    assert head.getheader("Content-Type") == got.getheader("Content-Type")
    if got.getheader("ETag"):
        assert head.getheader("ETag") == got.getheader("ETag")
