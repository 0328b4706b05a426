"""The identity platform's errors (``002_…``): ``{"error", "error_description", "details"}``.

Per-resource not-found codes (``user_not_found``), ``retry_after`` beside the error,
``X-Request-ID: req_…`` and the ``X-Debug`` member (see ``styles.debug``). A malformed
request (bad JSON, a bad request line) is ``invalid_request``; field validation is
``validation_error``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from causeloop_errors.codes import BAD_REQUEST, MALFORMED_BODY, ErrorCode
from causeloop_errors.envelope import Failure
from causeloop_errors.styles.base import Style, details, retry_after
from causeloop_errors.styles.debug import debug_info

RESOURCES = ("user", "client", "organization", "role", "policy", "flow", "job")
# The app's fixed messages for a request it could not read, in this contract's words.
_MALFORMED = {MALFORMED_BODY: "Invalid JSON in request body", BAD_REQUEST: "Invalid request format"}


class IdentityStyle(Style):
    """Render failures in the identity platform's format."""

    request_id_header = "X-Request-ID"
    request_id_prefix = "req_"
    code_names = {"rate_limited": "rate_limit_exceeded", "unprocessable_entity": "validation_error"}
    resource_codes = {("not_found", resource): f"{resource}_not_found" for resource in RESOURCES}
    messages = {
        "unauthorized": "Authentication token is invalid or expired",
        "forbidden": "You do not have permission to perform this operation",
        "not_found": "Resource not found",
        "conflict": "Resource conflict",
        "validation_error": "Invalid input data",
        "rate_limit_exceeded": "Rate limit exceeded",
        "internal_error": "An internal error occurred. Please try again later.",
        "service_unavailable": "Service temporarily unavailable",
        **{f"{resource}_not_found": f"{resource.capitalize()} not found" for resource in RESOURCES},
    }

    def code(self, failure: Failure, request: Any = None) -> str:
        """Return ``invalid_request`` for a request the app could not read, else the mapped code."""
        if failure.error.code == "validation_error" and failure.message in _MALFORMED:
            return "invalid_request"
        return super().code(failure, request)

    def message(self, failure: Failure, code: str) -> str:
        """Return the contract's wording of the app's fixed messages, else the mapped message."""
        if code == "invalid_request" and failure.message in _MALFORMED:
            return _MALFORMED[failure.message]
        return super().message(failure, code)

    def spellings(self, entry: ErrorCode) -> list[str]:
        """Add ``invalid_request`` to the codes of ``validation_error``."""
        extra = ["invalid_request"] if entry.code == "validation_error" else []
        return super().spellings(entry) + extra

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return ``{"error", "error_description", "details"?, "retry_after"?, "debug"?}``."""
        code = self.code(failure, request)
        body: dict[str, Any] = {"error": code, "error_description": self.message(failure, code)}
        found = details(failure)
        if found:
            body["details"] = found
        wait = retry_after(failure)
        if wait is not None:
            body["retry_after"] = wait
        debug = debug_info(request)
        if debug is not None:
            body["debug"] = debug
        return body

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of the identity platform's error body for ``codes``."""
        return {
            "type": "object",
            "required": ["error", "error_description"],
            "additionalProperties": False,
            "properties": {
                "error": self.code_schema(codes),
                "error_description": {"type": "string"},
                "details": {"type": "object"},
                "retry_after": {"type": "integer", "minimum": 1},
                "debug": {
                    "type": "object",
                    "properties": {"stack_trace": {"type": "string"}, "timestamp": {"type": "string"}},
                },
            },
        }
