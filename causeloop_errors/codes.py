"""The built-in error codes: the ``ErrorCode`` type, the contract's table and the statuses it is silent on.

Data only: the registry (``catalog``) adds the host's codes and the style's, and the styles read this type,
so neither imports the other through here.
"""

from __future__ import annotations

from dataclasses import dataclass

# Messages of the malformed requests Django and DRF reject before any view (a style may word them its own way).
MALFORMED_BODY = "Malformed request body."
BAD_REQUEST = "Malformed request."


@dataclass(frozen=True)
class ErrorCode:
    """One entry of the catalog."""

    code: str
    status: int
    message: str
    description: str
    builtin: bool = True
    feature: str | None = None  # the feature app that answers it (``wiring``): listed only where it is wired


BUILTIN: tuple[ErrorCode, ...] = (
    ErrorCode(
        "validation_error",
        400,
        "Request validation failed",
        "Request body or query params failed validation. Check details for field-level messages.",
    ),
    ErrorCode(
        "unauthorized",
        401,
        "Missing or invalid credentials.",
        "Missing or invalid Authorization header, or expired token.",
    ),
    ErrorCode(
        "invalid_grant",
        401,
        "The subject token is invalid or could not be verified.",
        "The grant or subject token presented is invalid, expired or could not be verified.",
    ),
    ErrorCode(
        "forbidden",
        403,
        "You do not have permission to perform this action.",
        "The credentials are valid but do not allow this operation.",
    ),
    ErrorCode(
        "mfa_required",
        403,
        "MFA enrollment is required by this workspace.",
        "MFA enrollment is required by this workspace.",
        feature="policies",
    ),
    ErrorCode(
        "sso_required",
        403,
        "SSO is enforced for this workspace — use the SSO flow.",
        "SSO is enforced for this workspace — use the SSO flow.",
        feature="policies",
    ),
    ErrorCode("not_found", 404, "The requested resource does not exist.", "The requested resource does not exist."),
    ErrorCode(
        "method_not_allowed",
        405,
        "Method not allowed.",
        "The HTTP method is not supported by this endpoint. See the Allow header.",
    ),
    ErrorCode(
        "not_acceptable",
        406,
        "The requested response format is not available.",
        "The Accept header asks for a format the endpoint cannot produce.",
    ),
    ErrorCode(
        "conflict",
        409,
        "The operation conflicts with existing state.",
        "The operation conflicts with the current state of the resource (e.g. it would create a duplicate).",
    ),
    ErrorCode(
        "payload_too_large",
        413,
        "Request body is too large.",
        "The request body exceeds the size the server accepts.",
    ),
    ErrorCode(
        "unsupported_media_type",
        415,
        "Unsupported media type.",
        "The Content-Type of the request body is not accepted by this endpoint.",
    ),
    ErrorCode(
        "unprocessable_entity",
        422,
        "The request was well-formed but semantically invalid.",
        "The request was well-formed but semantically invalid.",
    ),
    ErrorCode(
        "rate_limited",
        429,
        "Too many requests.",
        "Too many requests. See the Retry-After header.",
    ),
    ErrorCode("internal_error", 500, "Unexpected server error.", "Unexpected server error."),
    ErrorCode(
        "service_unavailable",
        503,
        "Service temporarily unavailable.",
        "The service is temporarily unable to handle the request. See the Retry-After header.",
    ),
)
