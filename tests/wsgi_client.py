"""GET through a WSGI application as a server (one worker) calls it, for tests of what sits in
front of Django (``regwatch.wsgi``)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from wsgiref.util import setup_testing_defaults

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.datastructures import CaseInsensitiveMapping

from api.direct_reads import DirectReads
from api.response_cache import SharedResponseCache


@dataclass
class Answer:
    status: int
    headers: CaseInsensitiveMapping
    content: bytes
    header_list: list[tuple[str, str]]

    def json(self):
        return json.loads(self.content)


def wsgi_client(application=None) -> Callable[..., Answer]:
    """GET through ``application`` (default: the stack ``regwatch.wsgi`` serves, built now from
    the current settings). Like Django's test client, it keeps the test's database connection
    open across the request (the test runs inside a transaction)."""
    if application is None:
        application = SharedResponseCache(DirectReads(WSGIHandler()))

    def get(path: str, method: str = "GET", **headers: str) -> Answer:
        path_info, _, query = path.partition("?")
        environ = {"PATH_INFO": path_info, "QUERY_STRING": query, "HTTP_HOST": "testserver",
                   "REQUEST_METHOD": method}  # fmt: skip
        environ.update({"HTTP_" + name.upper().replace("-", "_"): v for name, v in headers.items()})
        setup_testing_defaults(environ)
        sent = {}
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
        try:
            chunks = application(
                environ, lambda status, headers, *_: sent.update(s=status, h=headers)
            )
            content = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
        finally:
            for signal in (request_started, request_finished):
                signal.connect(close_old_connections)
        headers = CaseInsensitiveMapping(dict(sent["h"]))
        return Answer(int(sent["s"].split()[0]), headers, content, list(sent["h"]))

    return get
