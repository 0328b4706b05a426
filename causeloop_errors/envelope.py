"""The error envelope: a ``Failure`` and the body built from it and a trace id.

No request or response objects here, so the same body can be produced from the
DRF handler, the middleware, a Django error view or a test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.encoding import force_str
from django.utils.functional import Promise

from causeloop_errors.codes import ErrorCode
from causeloop_errors.conf import app_settings
from causeloop_errors.paths import NON_FIELD_ERRORS, FieldError

VALIDATION_ERROR = "validation_error"


@dataclass
class Failure:
    """What went wrong, ready to render: catalog entry, status, message, details, headers.

    ``resource`` names what was not found (``"user"``) when known; only styles that map it show it.
    """

    error: ErrorCode
    status: int
    message: str
    details: dict[str, Any] | None = None
    field_errors: list[FieldError] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    unexpected: bool = False
    resource: str | None = None

    def __post_init__(self) -> None:
        if self.error.code == VALIDATION_ERROR and not self.details:
            self.details = {NON_FIELD_ERRORS: self.message}

    def set_retry_after(self, seconds: float | None) -> None:
        """Send ``seconds`` (rounded up, at least 1) as ``Retry-After`` and ``details.retry_after``.

        No wait, or one that is not a finite number (NaN, infinity), sends ``DEFAULT_RETRY_AFTER``.
        """
        wait = seconds if seconds is not None and math.isfinite(seconds) else app_settings.DEFAULT_RETRY_AFTER
        whole = max(1, math.ceil(wait))
        self.headers["Retry-After"] = str(whole)
        self.details = {**(self.details or {}), "retry_after": whole}


def plain(value: Any) -> Any:
    """Return ``value`` with string keys (lazy translations forced) and lists for sets and tuples."""
    if isinstance(value, Mapping):
        return {force_str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((plain(item) for item in value), key=str)
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return force_str(value) if isinstance(value, Promise) else value


def build_body(failure: Failure, trace_id: str) -> dict[str, Any]:
    """Return the envelope ``{"error": {...}}`` for ``failure``."""
    error: dict[str, Any] = {"code": failure.error.code, "message": failure.message, "trace_id": trace_id}
    if failure.details:
        error["details"] = plain(failure.details)
    if failure.field_errors and app_settings.INCLUDE_FIELD_ERRORS:
        error["field_errors"] = [
            {"path": item.path, "message": item.message, "code": item.code} for item in failure.field_errors
        ]
    return {"error": error}


def minimal_body(trace_id: str) -> dict[str, Any]:
    """Return the envelope of last resort, built without the catalog or settings."""
    return {"error": {"code": "internal_error", "message": "Unexpected server error.", "trace_id": trace_id}}
