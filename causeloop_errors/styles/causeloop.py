"""The Causeloop envelope (the default): ``{"error": {"code", "message", "trace_id", "details"}}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from causeloop_errors.codes import ErrorCode
from causeloop_errors.envelope import Failure, build_body, minimal_body
from causeloop_errors.styles.base import Style


class CauseloopStyle(Style):
    """The contract of ``000_…``: the body ``envelope.build_body`` has always built."""

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return ``{"error": {...}}`` for ``failure``."""
        return build_body(failure, trace_id)

    def minimal_body(self, trace_id: str) -> dict[str, Any]:
        """Return the envelope of last resort."""
        return minimal_body(trace_id)

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of the envelope for ``codes``."""
        field_error = {
            "type": "object",
            "required": ["path", "message", "code"],
            "properties": {
                "path": {"type": "string"},
                "message": {"type": "string"},
                "code": {"type": ["string", "null"]},
            },
        }
        error = {
            "type": "object",
            "required": ["code", "message", "trace_id"],
            "additionalProperties": False,
            "properties": {
                "code": self.code_schema(codes),
                "message": {"type": "string"},
                "trace_id": {"type": "string"},
                "details": {"type": "object"},
                "field_errors": {"type": "array", "items": field_error},
            },
        }
        return {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {"error": error}}
