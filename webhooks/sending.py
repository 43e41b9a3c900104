"""One POST to a receiver: to the address ``addresses.resolve`` checked, with short timeouts,
no redirects followed, and at most REGWATCH_WEBHOOKS_MAX_RESPONSE_BYTES of the answer read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

from .addresses import RefusedTarget, check_url, resolve


@dataclass(frozen=True)
class Outcome:
    status: int | None
    latency_ms: float | None
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url``; never raises for what the network or the receiver does."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        check_url(url)
        address = resolve(host, port)
    except RefusedTarget as error:
        return Outcome(None, None, f"refused: {error}")
    timeout = urllib3.Timeout(
        connect=settings.REGWATCH_WEBHOOKS_CONNECT_TIMEOUT,
        read=settings.REGWATCH_WEBHOOKS_READ_TIMEOUT,
    )
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, maxsize=1,
            server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host and not host.startswith("["):
        host_header = f"[{host}]" + (f":{parts.port}" if parts.port else "")
    started = time.perf_counter()
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            preload_content=False,
        )
        try:
            response.read(settings.REGWATCH_WEBHOOKS_MAX_RESPONSE_BYTES)
        finally:
            response.close()
    except urllib3.exceptions.HTTPError as error:
        return Outcome(None, _ms(started), f"{type(error).__name__}: {error}"[:1000])
    finally:
        pool.close()
    latency = _ms(started)
    if 200 <= response.status < 300:
        return Outcome(response.status, latency)
    return Outcome(response.status, latency, f"the receiver answered {response.status}")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
