"""The app's settings: one typed property per key of ``settings.CAUSELOOP_ERRORS``.

Values are read from Django's settings and kept until ``setting_changed`` says
``CAUSELOOP_ERRORS`` changed (``AppConfig.ready`` connects ``reset``), so
``override_settings`` works and a request does not pay for re-reading them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings as django_settings

from causeloop_errors.conf_values import (
    DEFAULTS,
    imported,
    interval,
    networks,
    prefixes,
    seconds,
    sequence,
)

__all__ = ["DEFAULTS", "Settings", "app_settings", "imported"]


class Settings:
    """Read the app's settings with their documented defaults."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    def reset(self, *, setting: str = "CAUSELOOP_ERRORS", **kwargs: Any) -> None:
        """Forget cached values when ``CAUSELOOP_ERRORS`` changes (a ``setting_changed`` receiver)."""
        if setting == "CAUSELOOP_ERRORS":
            self._cache.clear()

    @property
    def raw(self) -> Mapping[str, Any]:
        value = getattr(django_settings, "CAUSELOOP_ERRORS", {})
        return value if isinstance(value, Mapping) else {}

    def _get(self, name: str) -> Any:
        return self.raw.get(name, DEFAULTS[name])

    def _cached(self, name: str, convert: Any) -> Any:
        try:
            return self._cache[name]
        except KeyError:
            value = self._cache[name] = convert(self._get(name))
            return value

    @property
    def API_PATH_PREFIXES(self) -> tuple[str, ...]:
        """Path prefixes whose failures are rendered as envelopes."""
        return self._cached("API_PATH_PREFIXES", prefixes)

    @property
    def TRUST_REQUEST_ID_HEADER(self) -> bool:
        """Adopt a well-formed incoming ``X-Request-Id`` (only behind a trusted edge)."""
        return self._cached("TRUST_REQUEST_ID_HEADER", lambda value: value is True)  # fail closed

    @property
    def CODES(self) -> Sequence[Mapping[str, Any]]:
        """Extra error codes the host registers: ``{"code", "status", "message", "description"}``."""
        return self._cached("CODES", lambda value: sequence(value, ()))

    @property
    def WWW_AUTHENTICATE(self) -> str:
        """``WWW-Authenticate`` value for a 401 when no authenticator offers one."""
        return self._cached(
            "WWW_AUTHENTICATE",
            lambda value: value if isinstance(value, str) and value else str(DEFAULTS["WWW_AUTHENTICATE"]),
        )

    @property
    def DEFAULT_RETRY_AFTER(self) -> int:
        """Seconds sent in ``Retry-After`` when the limiter does not know the wait."""
        return self._cached("DEFAULT_RETRY_AFTER", seconds)

    @property
    def INCLUDE_FIELD_ERRORS(self) -> bool:
        """Add ``error.field_errors``: every validation message with its path and DRF code."""
        return self._cached("INCLUDE_FIELD_ERRORS", lambda value: value is True)

    @property
    def WORKSPACE_MODEL(self) -> str | None:
        """``"app_label.Model"`` of the host's workspaces; enables choices and unknown-key checks."""
        return self._cached("WORKSPACE_MODEL", lambda value: value if isinstance(value, str) and value else None)

    @property
    def WORKSPACE_KEY_FIELD(self) -> str:
        """Field of ``WORKSPACE_MODEL`` that holds the workspace key."""
        return self._cached("WORKSPACE_KEY_FIELD", str)

    @property
    def WORKSPACE_KEY_PATTERN(self) -> re.Pattern[str]:
        """Shape of a well-formed workspace key; anything else is a 400 ``validation_error``."""
        return self._cached("WORKSPACE_KEY_PATTERN", lambda value: re.compile(str(value)))

    @property
    def WORKSPACE_RESOLVER(self) -> str:
        """Dotted path of ``(request) -> key or None``: which workspace a request targets."""
        return self._cached("WORKSPACE_RESOLVER", str)

    @property
    def WORKSPACE_MEMBERS(self) -> str | None:
        """Dotted path of ``(key) -> users``: lets the admin count who a policy change would block."""
        return self._cached("WORKSPACE_MEMBERS", lambda value: value if isinstance(value, str) and value else None)

    @property
    def AUTH_CONTEXT_RESOLVER(self) -> str:
        """Dotted path of ``(request) -> AuthContext``: how a request was authenticated."""
        return self._cached("AUTH_CONTEXT_RESOLVER", str)

    @property
    def SSO_BACKENDS(self) -> tuple[str, ...]:
        """Authentication backends whose session logins count as SSO (``amr`` ``sso``)."""
        return self._cached("SSO_BACKENDS", lambda value: sequence(value, ()))

    @property
    def POLICY_CACHE_ALIAS(self) -> str:
        """Django cache shared by every process, holding the policies' version key."""
        return self._cached("POLICY_CACHE_ALIAS", str)

    @property
    def TRUSTED_PROXIES(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Networks of the proxies whose ``X-Forwarded-For`` entries are believed."""
        return self._cached("TRUSTED_PROXIES", networks)

    @property
    def RATELIMIT_IETF_HEADERS(self) -> bool:
        """Also send the IETF ``RateLimit-Policy`` and ``RateLimit`` fields."""
        return self._cached("RATELIMIT_IETF_HEADERS", lambda value: value is True)  # read per counted request

    @property
    def AUDIT_CODES(self) -> frozenset[str]:
        """Error codes whose envelopes are recorded as audit events."""
        return self._cached("AUDIT_CODES", lambda value: frozenset(sequence(value, DEFAULTS["AUDIT_CODES"])))

    @property
    def AUDIT_DEDUP_SECONDS(self) -> int:
        """Identical denials within this many seconds share one event (its ``occurrences`` grow)."""
        return self._cached(
            "AUDIT_DEDUP_SECONDS",
            lambda value: value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 60,
        )

    @property
    def AUDIT_FLUSH_SECONDS(self) -> float:
        """Repeats of an event are written to the database at most once per this many seconds (0: at once)."""
        return self._cached("AUDIT_FLUSH_SECONDS", interval(DEFAULTS["AUDIT_FLUSH_SECONDS"]))

    @property
    def CONFIG_CHECK_SECONDS(self) -> float:
        """A process reads the version stamps of rules and policies at most once per this many seconds."""
        return self._cached("CONFIG_CHECK_SECONDS", interval(DEFAULTS["CONFIG_CHECK_SECONDS"]))

    @property
    def OPENAPI_RATE_LIMIT_ALL_OPERATIONS(self) -> bool | None:
        """Document 429, 503 and the pacing headers on every operation; None: when the rate-limit app is installed."""
        return self._cached(
            "OPENAPI_RATE_LIMIT_ALL_OPERATIONS", lambda value: value if isinstance(value, bool) else None
        )

    @property
    def STYLE(self) -> str:
        """The envelope style: a short name (``causeloop``, ``problem``, ...) or the dotted path of a ``Style``."""
        return self._cached("STYLE", lambda value: value if isinstance(value, str) and value else DEFAULTS["STYLE"])

    @property
    def NEGOTIATE_PROBLEM_DETAILS(self) -> bool:
        """Answer ``application/problem+json`` to requests that prefer it, whatever the style."""
        return self._cached("NEGOTIATE_PROBLEM_DETAILS", lambda value: value is True)

    @property
    def PROBLEM_TYPE_BASE_URL(self) -> str | None:
        """Base of the problem ``type`` URIs (the code is appended); None: ``about:blank``."""
        return self._cached("PROBLEM_TYPE_BASE_URL", lambda value: value if isinstance(value, str) and value else None)

    @property
    def ALLOW_DEBUG_HEADER(self) -> bool:
        """Honour ``X-Debug: true`` from staff users while ``DEBUG`` is on (styles with a debug member)."""
        return self._cached("ALLOW_DEBUG_HEADER", lambda value: value is True)


app_settings = Settings()
