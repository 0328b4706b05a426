"""The defaults of ``settings.CAUSELOOP_ERRORS``, and converters from its raw values, each with its fallback.

A value of the wrong type falls back to the documented default here; check ``causeloop_errors.E005`` reports it.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.utils.module_loading import import_string

DEFAULT_PREFIXES = ("/api/", "/auth/")
DEFAULT_RETRY_AFTER = 60


def sequence(value: Any, default: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``value`` as a tuple; a value that is not a list keeps the default (check E005 reports it)."""
    return tuple(value) if isinstance(value, (list, tuple)) else default


def prefixes(value: Any) -> tuple[str, ...]:
    valid = isinstance(value, (list, tuple)) and all(isinstance(item, str) and item.startswith("/") for item in value)
    return tuple(value) if valid else DEFAULT_PREFIXES


_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def networks(value: Any) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Parse ``TRUSTED_PROXIES``; an IPv4-mapped network (``::ffff:10.0.0.0/104``) as the IPv4 one it maps.

    Client addresses are compared as IPv4 once unmapped (``clientip``), so the networks must be too.
    """
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in sequence(value, ()):
        try:
            network = ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            continue  # reported by check causeloop_errors.E005
        if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network.subnet_of(_MAPPED):
            network = ipaddress.ip_network((int(network.network_address) & 0xFFFFFFFF, network.prefixlen - 96))
        networks.append(network)
    return tuple(networks)


def interval(default: float) -> Any:
    """Return a converter to a number of seconds >= 0 (a float), the default for anything else."""

    def convert(value: Any) -> float:
        valid = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < float("inf")
        return float(value) if valid else default

    return convert


@lru_cache(maxsize=32)
def imported(path: str) -> Any:
    """Return what the dotted ``path`` names, imported once (a resolver is called on every request)."""
    return import_string(path)


def seconds(value: Any) -> int:
    valid = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return value if valid else DEFAULT_RETRY_AFTER


DEFAULTS: dict[str, Any] = {
    "API_PATH_PREFIXES": DEFAULT_PREFIXES,
    "TRUST_REQUEST_ID_HEADER": False,
    "CODES": (),
    "WWW_AUTHENTICATE": 'Bearer realm="api"',
    "DEFAULT_RETRY_AFTER": DEFAULT_RETRY_AFTER,
    "INCLUDE_FIELD_ERRORS": False,
    "WORKSPACE_MODEL": None,
    "WORKSPACE_KEY_FIELD": "slug",
    "WORKSPACE_KEY_PATTERN": r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}",
    "WORKSPACE_RESOLVER": "causeloop_errors.workspaces.resolve_workspace",
    "WORKSPACE_MEMBERS": None,
    "AUTH_CONTEXT_RESOLVER": "causeloop_errors.auth_context.resolve_auth_context",
    "SSO_BACKENDS": (),
    "POLICY_CACHE_ALIAS": "default",
    "TRUSTED_PROXIES": (),
    "RATELIMIT_IETF_HEADERS": False,
    "AUDIT_CODES": (
        "unauthorized",
        "invalid_grant",
        "forbidden",
        "mfa_required",
        "sso_required",
        "rate_limited",
        "internal_error",
    ),
    "AUDIT_DEDUP_SECONDS": 60,
    "AUDIT_FLUSH_SECONDS": 5.0,
    "CONFIG_CHECK_SECONDS": 0.5,
    "STYLE": "causeloop",
    "NEGOTIATE_PROBLEM_DETAILS": False,
    "PROBLEM_TYPE_BASE_URL": None,
    "ALLOW_DEBUG_HEADER": False,
    "OPENAPI_RATE_LIMIT_ALL_OPERATIONS": None,
}
