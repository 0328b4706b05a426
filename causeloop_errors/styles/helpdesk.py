"""The helpdesk API's errors (``004_…``): ``{"success": false, "error": {...}, "meta": {...}}``.

UPPER_SNAKE codes (``internal_error`` is ``SERVER_ERROR``), one ``field`` per validation
error with that field's message, ``retryAfter`` inside the error, and ``meta`` with the
``req_``-prefixed ``requestId`` (the trace id) and a UTC ``timestamp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from causeloop_errors.codes import ErrorCode
from causeloop_errors.envelope import Failure
from causeloop_errors.styles.base import Style, details, field_errors, field_name, retry_after


class HelpdeskStyle(Style):
    """Render failures in the helpdesk API's format."""

    request_id_prefix = "req_"
    upper_codes = True
    code_names = {"internal_error": "SERVER_ERROR"}
    messages = {
        "UNAUTHORIZED": "Missing or invalid API key",
        "FORBIDDEN": "API key lacks required permissions",
        "NOT_FOUND": "Resource doesn't exist",
        "VALIDATION_ERROR": "Invalid request body/params",
        "RATE_LIMITED": "Rate limit exceeded. Try again in {retry_after} seconds.",
        "CONFLICT": "Resource already exists or state conflict",
        "SERVER_ERROR": "Internal server error",
    }

    def error(self, failure: Failure, request: Any = None) -> dict[str, Any]:
        """Return the ``error`` member: code, message, and ``field``, ``retryAfter`` or ``details`` when known."""
        code = self.code(failure, request)
        error: dict[str, Any] = {"code": code, "message": self.message(failure, code)}
        fields = field_errors(failure)
        if fields:
            first = fields[0]  # the contract names one field: the first the serializer reported
            if failure.message == failure.error.message:
                error["message"] = first.message
            name = field_name(first.path)
            if name is not None:
                error["field"] = name
        wait = retry_after(failure)
        if wait is not None:
            error["retryAfter"] = wait
        # One field is the contract's shape; with several, the others are not dropped: every dot-path and its
        # message also goes in ``details``, as the Causeloop envelope has them.
        found = details(failure) if len({item.path for item in fields}) != 1 else None
        if found:
            error["details"] = found
        return error

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return ``{"success": false, "error": {...}, "meta": {"requestId", "timestamp"}}``."""
        timestamp = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "success": False,
            "error": self.error(failure, request),
            "meta": {"requestId": trace_id, "timestamp": timestamp},
        }

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of the helpdesk API's error body for ``codes``."""
        error = {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": self.code_schema(codes),
                "message": {"type": "string"},
                "field": {"type": "string"},
                "retryAfter": {"type": "integer", "minimum": 1},
                "details": {"type": "object"},
            },
        }
        meta = {
            "type": "object",
            "required": ["requestId", "timestamp"],
            "properties": {"requestId": {"type": "string"}, "timestamp": {"type": "string", "format": "date-time"}},
        }
        return {
            "type": "object",
            "required": ["success", "error", "meta"],
            "additionalProperties": False,
            "properties": {"success": {"const": False}, "error": error, "meta": meta},
        }
