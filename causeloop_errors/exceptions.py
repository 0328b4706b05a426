"""Exceptions a view raises to answer with an error of the catalog.

Each class names a catalog code and nothing else; the status and the default
message come from the catalog, so a view writes::

    raise NotFound(f"Issue {issue_id} not found", details={"id": issue_id})

``resource=`` names the kind of thing concerned (``NotFound(resource="user")``): an envelope
style that maps it answers with its own code (``user_not_found``); the others ignore it.

Host projects subclass ``APIError`` with their own registered code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class APIError(Exception):
    """An error answered with the envelope of its catalog ``code``."""

    code: ClassVar[str] = "internal_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        resource: str | None = None,
    ) -> None:
        super().__init__(message or self.code)
        self.message = message
        self.details = dict(details) if details else None
        self.headers = dict(headers) if headers else {}
        self.resource = resource


class ValidationError(APIError):
    code = "validation_error"


class Unauthorized(APIError):
    code = "unauthorized"


class InvalidGrant(APIError):
    code = "invalid_grant"


class Forbidden(APIError):
    code = "forbidden"


class MFARequired(APIError):
    code = "mfa_required"


class SSORequired(APIError):
    code = "sso_required"


class NotFound(APIError):
    code = "not_found"


class MethodNotAllowed(APIError):
    code = "method_not_allowed"


class NotAcceptable(APIError):
    code = "not_acceptable"


class Conflict(APIError):
    code = "conflict"


class PayloadTooLarge(APIError):
    code = "payload_too_large"


class UnsupportedMediaType(APIError):
    code = "unsupported_media_type"


class UnprocessableEntity(APIError):
    code = "unprocessable_entity"


class RateLimited(APIError):
    """Too many requests; ``retry_after`` seconds go to ``Retry-After`` and ``details.retry_after``."""

    code = "rate_limited"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, details=details, headers=headers)
        self.retry_after = retry_after


class InternalError(APIError):
    code = "internal_error"


class ServiceUnavailable(APIError):
    code = "service_unavailable"

    @classmethod
    def retry_in(
        cls, seconds: int = 5, message: str | None = None, details: Mapping[str, Any] | None = None
    ) -> ServiceUnavailable:
        """Return the 503 of a dependency that is down: ``Retry-After`` and ``details.retry_after`` of ``seconds``."""
        return cls(message, details={**(details or {}), "retry_after": seconds}, headers={"Retry-After": str(seconds)})
