"""The client's IP address: ``REMOTE_ADDR``, or ``X-Forwarded-For`` walked right to left through trusted proxies.

A client cannot choose its own address by sending ``X-Forwarded-For``: the header is read only
when the peer is one of ``TRUSTED_PROXIES``, and only the entries appended by trusted proxies are
skipped; the first untrusted address from the right is the client.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from causeloop_errors.conf import app_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(value: str) -> Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: Address) -> bool:
    return any(address in network for network in app_settings.TRUSTED_PROXIES)


def client_ip(request: Any) -> str | None:
    """Return the client's address as a string, or None when the peer's address is unusable."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    if peer is None or not _trusted(peer):
        return None if peer is None else str(peer)
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:  # garbage: keep the last address a trusted proxy vouched for
            break
        client = address
        if not _trusted(address):
            break
    return str(client)
