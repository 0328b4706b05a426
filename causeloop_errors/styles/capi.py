"""CAPI's errors (``003_…``): ``{"detail": {"code", "message", "details"}}`` with UPPER_SNAKE codes.

CAPI's table is its vocabulary for 401, 402 and 403: a 401 is ``MISSING_AUTH_HEADER`` when
the request sent no ``Authorization`` header and ``INVALID_TOKEN`` otherwise; ``forbidden``
(defined by both contracts as a token lacking the scope) is ``INSUFFICIENT_SCOPE``; and
the style registers CAPI's 402, ``insufficient_balance``, spelled as CAPI spells it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from causeloop_errors.codes import ErrorCode
from causeloop_errors.envelope import Failure
from causeloop_errors.exceptions import APIError
from causeloop_errors.styles.base import Style, details

INSUFFICIENT_BALANCE = ErrorCode(
    "insufficient_balance",
    402,
    "Insufficient credits for a charged operation.",
    "Not enough credits to create the export.",
    builtin=False,
)


class InsufficientBalance(APIError):
    """402: the workspace has too few credits (registered while the CAPI style is configured)."""

    code = "insufficient_balance"


class CapiStyle(Style):
    """Render failures in CAPI's format."""

    upper_codes = True
    code_names = {"forbidden": "INSUFFICIENT_SCOPE", "insufficient_balance": "insufficient_balance"}
    codes = (INSUFFICIENT_BALANCE,)
    messages = {
        "MISSING_AUTH_HEADER": "No Authorization header sent.",
        "INVALID_TOKEN": "Token not found or revoked.",
        "INSUFFICIENT_SCOPE": "Authenticated, but the token's scope is insufficient.",
    }

    def code(self, failure: Failure, request: Any = None) -> str:
        """Tell a missing ``Authorization`` header from a token that is not accepted."""
        if failure.error.code == "unauthorized":
            sent = request is not None and bool(request.headers.get("Authorization"))
            return "INVALID_TOKEN" if sent else "MISSING_AUTH_HEADER"
        return super().code(failure, request)

    def spellings(self, entry: ErrorCode) -> list[str]:
        """Return both 401 codes for ``unauthorized``."""
        if entry.code == "unauthorized":
            return ["INVALID_TOKEN", "MISSING_AUTH_HEADER"]
        return super().spellings(entry)

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return ``{"detail": {"code", "message", "details"?}}``."""
        code = self.code(failure, request)
        detail: dict[str, Any] = {"code": code, "message": self.message(failure, code)}
        found = details(failure, keep_retry_after=True)
        if found:
            detail["details"] = found
        return {"detail": detail}

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of CAPI's error body for ``codes``."""
        detail = {
            "type": "object",
            "required": ["code", "message"],
            "additionalProperties": False,
            "properties": {
                "code": self.code_schema(codes),
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
        return {
            "type": "object",
            "required": ["detail"],
            "additionalProperties": False,
            "properties": {"detail": detail},
        }
