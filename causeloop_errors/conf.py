"""The app's settings: one typed property per key of ``settings.CAUSELOOP_ERRORS``.

Values are looked up on every access, so ``override_settings`` works in tests.
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


class Settings:
    """Read the app's settings with their documented defaults."""

    @property
    def raw(self) -> Mapping[str, Any]:
        value = getattr(django_settings, "CAUSELOOP_ERRORS", {})
        return value if isinstance(value, Mapping) else {}

    def _get(self, name: str) -> Any:
        return self.raw.get(name, DEFAULTS[name])

    @property
    def API_PATH_PREFIXES(self) -> tuple[str, ...]:
        """Path prefixes whose failures are rendered as envelopes."""
        return tuple(self._get("API_PATH_PREFIXES"))

    @property
    def TRUST_REQUEST_ID_HEADER(self) -> bool:
        """Adopt a well-formed incoming ``X-Request-Id`` (only behind a trusted edge)."""
        return bool(self._get("TRUST_REQUEST_ID_HEADER"))

    @property
    def CODES(self) -> Sequence[Mapping[str, Any]]:
        """Extra error codes the host registers: ``{"code", "status", "message", "description"}``."""
        return tuple(self._get("CODES"))

    @property
    def WWW_AUTHENTICATE(self) -> str:
        """``WWW-Authenticate`` value for a 401 when no authenticator offers one."""
        return str(self._get("WWW_AUTHENTICATE"))

    @property
    def DEFAULT_RETRY_AFTER(self) -> int:
        """Seconds sent in ``Retry-After`` when the limiter does not know the wait."""
        return int(self._get("DEFAULT_RETRY_AFTER"))

    @property
    def INCLUDE_FIELD_ERRORS(self) -> bool:
        """Add ``error.field_errors``: every validation message with its path and DRF code."""
        return bool(self._get("INCLUDE_FIELD_ERRORS"))


app_settings = Settings()
