"""Bearer token authentication for DRF: ``Authorization: Bearer clk_...`` resolves to an ``ApiToken``."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from example_project.demo.models import ApiToken
from example_project.demo.tokens import digest

SCHEME = b"bearer"
MALFORMED = "Malformed Authorization header."
INVALID = "Invalid or expired token."


class BearerTokenAuthentication(BaseAuthentication):
    """Authenticate a request by its bearer token; ``request.auth`` is the ``ApiToken``.

    No header, or another scheme, is "not authenticated" (None), so DRF answers 401 when a
    view needs a user. A malformed header and an unknown, expired or revoked token fail.
    """

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != SCHEME:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(MALFORMED)
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(MALFORMED) from None
        token = ApiToken.objects.usable(digest(secret))
        if token is None:
            raise AuthenticationFailed(INVALID)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
