"""Which receivers a delivery may reach: https on a public address; plain http or https to
this machine only when REGWATCH_WEBHOOKS_ALLOW_LOOPBACK is on (development, tests); private
networks only when REGWATCH_WEBHOOKS_ALLOW_PRIVATE is on; link-local (cloud metadata at
169.254.169.254 among them), multicast, reserved and unspecified addresses never.

The name is resolved once, every address it resolves to is checked, and the connection goes to
a checked address (``sending``), so a name that changes its answer between the check and the
connection (DNS rebinding) cannot lead a delivery elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class RefusedTarget(ValueError):
    """A target URL or address deliveries must not go to; the message says why."""


def refusal(address: str) -> str | None:
    """Why ``address`` (an IP address) may not receive deliveries, or None."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        if settings.REGWATCH_WEBHOOKS_ALLOW_LOOPBACK:
            return None
        return (
            f"{ip} is this machine (loopback); allowed only with REGWATCH_WEBHOOKS_ALLOW_LOOPBACK"
        )
    if ip.is_link_local:
        return f"{ip} is a link-local address (where cloud metadata services answer)"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return f"{ip} is not a unicast address"
    if not ip.is_global:
        if settings.REGWATCH_WEBHOOKS_ALLOW_PRIVATE:
            return None
        return f"{ip} is a private address; allowed only with REGWATCH_WEBHOOKS_ALLOW_PRIVATE"
    return None


def is_loopback_host(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """What can be said of a target URL without resolving it: raises ``RefusedTarget``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise RefusedTarget("Give an https URL, e.g. https://example.com/hooks/regwatch.")
    if parts.username or parts.password:
        raise RefusedTarget("Leave credentials out of the URL; deliveries are signed instead.")
    if is_loopback_host(host):
        if not settings.REGWATCH_WEBHOOKS_ALLOW_LOOPBACK:
            raise RefusedTarget(
                "Receivers on this machine (loopback) are allowed only with "
                "REGWATCH_WEBHOOKS_ALLOW_LOOPBACK (development and tests)."
            )
        return
    if parts.scheme != "https":
        raise RefusedTarget("Deliveries go over https only (plain http only to loopback).")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: checked when resolved, at each delivery
    reason = refusal(host)
    if reason:
        raise RefusedTarget(f"Refused: {reason}.")


def resolve(host: str, port: int) -> str:
    """One address of ``host`` that deliveries may reach; ``RefusedTarget`` if any address it
    resolves to is refused (a name pointing partly inside the network is refused whole)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedTarget(f"{host} does not resolve: {error.strerror}") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise RefusedTarget(f"{host} resolves to {reason}")
    return addresses[0]
