"""JSON schemas of the error body and of the response headers the app sends; plain dicts, no drf-spectacular.

``body_schema`` is the one place the error body's shape is described: the Causeloop envelope here, with
``details`` typed per code; any other configured style (``STYLE``) describes its own body.
"""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from causeloop_errors import exceptions
from causeloop_errors.codes import ErrorCode
from causeloop_errors.conf import app_settings
from causeloop_errors.styles import Style, configured_style
from causeloop_errors.styles.causeloop import CauseloopStyle

TRACE_ID = {
    "type": "string",
    "pattern": "^[A-Za-z0-9._:-]{8,128}$",
    "description": "The request's trace id; equal to the X-Request-Id response header. Quote it to support.",
    "example": "7f3a1b2c-4d5e-4f7a-8b9c-0d1e2f3a4b5c",
}
_FREE_DETAILS = {"type": "object", "minProperties": 1, "description": "Context of the error; absent when empty."}
_FIELD_ERRORS = {
    "type": "array",
    "description": "Every validation message with its dot-path and DRF code (INCLUDE_FIELD_ERRORS).",
    "items": {
        "type": "object",
        "required": ["path", "message", "code"],
        "properties": {
            "path": {"type": "string"},
            "message": {"type": "string"},
            "code": {"type": "string", "nullable": True},
        },
    },
}
_WAIT = {"type": "integer", "minimum": 1, "description": "Seconds to wait; equal to the Retry-After header."}
_COUNT = {"type": "integer", "minimum": 0}
_RULE = {"type": "string", "description": "Name of the rate-limit rule."}
NO_BODY = "No response body"  # drf-spectacular's description of a response declared without a body
_WORKSPACE = {"type": "string", "description": "Key of the workspace whose policy refused the request."}

# ``details`` of the codes whose shape the app fixes, and whether they always have details.
DETAILS: dict[str, tuple[dict[str, Any], bool]] = {
    exceptions.ValidationError.code: (
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"type": "string"},
            "description": "Dot-path of each invalid field (e.g. connector.config.api_key, items.1.name) to its "
            "first message; errors not tied to a field are under non_field_errors.",
        },
        True,
    ),
    exceptions.RateLimited.code: (
        {
            "type": "object",
            "required": ["retry_after"],
            "properties": {
                "retry_after": _WAIT,
                "rule": _RULE,
                "limit": {"type": "integer", "minimum": 0, "description": "Requests the rule allows per window."},
                "window_seconds": {"type": "integer", "minimum": 1, "description": "Length of the rule's window."},
            },
        },
        True,
    ),
    exceptions.MFARequired.code: (
        {
            "type": "object",
            "required": ["workspace", "reason"],
            "properties": {
                "workspace": _WORKSPACE,
                "reason": {"type": "string", "enum": ["enrollment_required", "verification_required"]},
            },
        },
        False,
    ),
    exceptions.SSORequired.code: (
        {"type": "object", "required": ["workspace"], "properties": {"workspace": _WORKSPACE}},
        False,
    ),
    exceptions.ServiceUnavailable.code: (
        {"type": "object", "properties": {"rule": _RULE, "retry_after": _WAIT}},
        False,
    ),
}


def _variant(codes: Sequence[str], details: dict[str, Any], required: bool) -> dict[str, Any]:
    variant: dict[str, Any] = {"properties": {"code": {"enum": list(codes)}, "details": details}}
    if required:
        variant["required"] = ["details"]
    return variant


def _details_variants(codes: Sequence[ErrorCode]) -> list[dict[str, Any]]:
    """Return one ``oneOf`` branch per code with a fixed ``details`` shape, and one for all the others."""
    typed = [entry.code for entry in codes if entry.code in DETAILS]
    free = [entry.code for entry in codes if entry.code not in DETAILS]
    variants = [_variant([code], *DETAILS[code]) for code in typed]
    if free:
        variants.append(_variant(free, _FREE_DETAILS, False))
    return variants


def body_schema(codes: Sequence[ErrorCode], style: Style | None = None) -> dict[str, Any]:
    """Return the JSON schema of an error body with one of ``codes``, in ``style`` (default: the configured one)."""
    style = style or configured_style()
    if type(style) is not CauseloopStyle:
        return style.body_schema(codes)
    return _envelope_schema(codes)


def _envelope_schema(codes: Sequence[ErrorCode]) -> dict[str, Any]:
    error: dict[str, Any] = {
        "type": "object",
        "required": ["code", "message", "trace_id"],
        "properties": {
            "code": {"type": "string", "enum": [entry.code for entry in codes]},
            "message": {"type": "string", "description": "For people; never parse it."},
            "trace_id": TRACE_ID,
            "details": _FREE_DETAILS,
        },
        "additionalProperties": False,
    }
    if app_settings.INCLUDE_FIELD_ERRORS:
        error["properties"]["field_errors"] = _FIELD_ERRORS
    variants = _details_variants(codes)
    if len(variants) == 1:  # one shape: state it directly
        error["properties"]["details"] = variants[0]["properties"]["details"]
        error["required"] += variants[0].get("required", [])
    else:
        error["oneOf"] = variants
    return {"type": "object", "required": ["error"], "properties": {"error": error}, "additionalProperties": False}


def describe(status: int, codes: Sequence[ErrorCode], summary: str | None = None) -> str:
    """Return a response description: ``summary`` or the status's phrase, then each code and its description."""
    if summary and summary != NO_BODY:
        lines = [summary]
    else:
        try:
            lines = [f"{HTTPStatus(status).phrase}."]
        except ValueError:  # a host code's status Python has no name for
            lines = [f"Error {status}."]
    lines += [f"- `{entry.code}`: {entry.description}" for entry in codes]
    return "\n".join(lines)


def _header(description: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": schema}


def retry_after_header(required: bool) -> dict[str, Any]:
    """Return the ``Retry-After`` header (always on a 429; on a 503 when the wait is known)."""
    return _header("Whole seconds to wait before retrying (at least 1).", {"type": "integer", "minimum": 1}, required)


def request_id_header() -> str:
    """Return the name of the request-id header (the configured style's, ``X-Request-Id`` by default)."""
    return configured_style().request_id_header


def headers() -> dict[str, dict[str, Any]]:
    """Return the other response headers the app sends, by name (``components/headers``)."""
    found = {
        request_id_header(): _header(
            "Trace id of the request, on every response; on an error, equal to the body's trace id.",
            {"type": "string", "pattern": TRACE_ID["pattern"]},
            required=True,
        ),
        "WWW-Authenticate": _header(
            'The scheme to authenticate with, e.g. Bearer realm="api".', {"type": "string"}, True
        ),
        "X-RateLimit-Limit": _header("Requests allowed per window by the covering rule closest to its limit.", _COUNT),
        "X-RateLimit-Remaining": _header("Requests left in that rule's window.", _COUNT),
        "X-RateLimit-Reset": _header("Seconds until that rule's window resets.", {"type": "integer", "minimum": 1}),
        "MFA-Enforced-From": _header(
            "Sent while the workspace's MFA requirement is in its grace period: when enforcement starts (ISO 8601).",
            {"type": "string", "format": "date-time"},
        ),
    }
    if app_settings.RATELIMIT_IETF_HEADERS:
        found["RateLimit-Policy"] = _header('IETF draft field, e.g. "auth-ip";q=10;w=60.', {"type": "string"})
        found["RateLimit"] = _header('IETF draft field, e.g. "auth-ip";r=0;t=41.', {"type": "string"})
    return found
