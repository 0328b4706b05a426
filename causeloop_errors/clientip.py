"""The client's IP address: ``REMOTE_ADDR``, or ``X-Forwarded-For`` walked right to left through trusted proxies.

A client cannot choose its own address by sending ``X-Forwarded-For``: the header is read only
when the peer is one of ``TRUSTED_PROXIES``, and only the entries appended by trusted proxies are
skipped; the first untrusted address from the right is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from causeloop_errors.conf import app_settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(value: str) -> Address | None:
    """Return ``value`` as an address; an IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) as the IPv4 it carries."""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # dual-stack sockets write IPv4 clients so; as IPv6 they would share one /64
    return address


def _trusted(address: Address) -> bool:
    return any(address in network for network in app_settings.TRUSTED_PROXIES)


@lru_cache(maxsize=4096)
def _peer(remote_addr: str, proxies: tuple[Any, ...]) -> tuple[str | None, bool]:
    """Return ``REMOTE_ADDR`` normalised (None when unusable) and whether it is a trusted proxy.

    Cached per address and proxy list: parsing an address costs more than counting a rate-limit rule.
    """
    peer = _address(remote_addr)
    if peer is None:
        return None, False
    return str(peer), any(peer in network for network in proxies)


def client_ip(request: Any) -> str | None:
    """Return the client's address as a string, or None when the peer's address is unusable."""
    peer_text, trusted = _peer(request.META.get("REMOTE_ADDR") or "", app_settings.TRUSTED_PROXIES)
    if peer_text is None or not trusted:
        return peer_text
    client: Address = ipaddress.ip_address(peer_text)
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:  # garbage: keep the last address a trusted proxy vouched for
            break
        client = address
        if not _trusted(address):
            break
    return str(client)


def counted_address(ip: str) -> str:
    """Return how ``ip`` is counted: an IPv4 address as itself, an IPv6 one by its /64 (one host can hold a /64)."""
    if ":" not in ip:
        return ip
    try:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    except ValueError:
        return ip
