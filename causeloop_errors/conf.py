"""The app's settings: one typed property per key of ``settings.CAUSELOOP_ERRORS``.

Values are read from Django's settings and kept until ``setting_changed`` says
``CAUSELOOP_ERRORS`` changed (``AppConfig.ready`` connects ``reset``), so
``override_settings`` works and a request does not pay for re-reading them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    "API_PATH_PREFIXES": ("/api/", "/auth/"),
    "TRUST_REQUEST_ID_HEADER": False,
    "CODES": (),
    "WWW_AUTHENTICATE": 'Bearer realm="api"',
    "DEFAULT_RETRY_AFTER": 60,
    "INCLUDE_FIELD_ERRORS": False,
}


def _sequence(value: Any, default: tuple[Any, ...]) -> tuple[Any, ...]:
    """Return ``value`` as a tuple; a value that is not a list keeps the default (check E005 reports it)."""
    return tuple(value) if isinstance(value, (list, tuple)) else default


def _prefixes(value: Any) -> tuple[str, ...]:
    valid = isinstance(value, (list, tuple)) and all(isinstance(item, str) and item.startswith("/") for item in value)
    return tuple(value) if valid else DEFAULTS["API_PATH_PREFIXES"]


def _seconds(value: Any) -> int:
    valid = isinstance(value, int) and not isinstance(value, bool) and value >= 1
    return value if valid else DEFAULTS["DEFAULT_RETRY_AFTER"]


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
        return self._cached("API_PATH_PREFIXES", _prefixes)

    @property
    def TRUST_REQUEST_ID_HEADER(self) -> bool:
        """Adopt a well-formed incoming ``X-Request-Id`` (only behind a trusted edge)."""
        return self._cached("TRUST_REQUEST_ID_HEADER", lambda value: value is True)  # fail closed

    @property
    def CODES(self) -> Sequence[Mapping[str, Any]]:
        """Extra error codes the host registers: ``{"code", "status", "message", "description"}``."""
        return self._cached("CODES", lambda value: _sequence(value, ()))

    @property
    def WWW_AUTHENTICATE(self) -> str:
        """``WWW-Authenticate`` value for a 401 when no authenticator offers one."""
        value = self._get("WWW_AUTHENTICATE")
        return value if isinstance(value, str) and value else str(DEFAULTS["WWW_AUTHENTICATE"])

    @property
    def DEFAULT_RETRY_AFTER(self) -> int:
        """Seconds sent in ``Retry-After`` when the limiter does not know the wait."""
        return self._cached("DEFAULT_RETRY_AFTER", _seconds)

    @property
    def INCLUDE_FIELD_ERRORS(self) -> bool:
        """Add ``error.field_errors``: every validation message with its path and DRF code."""
        return self._get("INCLUDE_FIELD_ERRORS") is True


app_settings = Settings()
