"""The production rows' authentication: a bearer token naming its user, workspace and how the user logged in.

The cheapest honest wiring for a workspace policy to be evaluated: the token carries ``workspace_key`` (read by the
app's default ``WORKSPACE_RESOLVER``) and ``amr`` (read by its default ``AUTH_CONTEXT_RESOLVER``), as a host's
token model does. ``bench-mfa`` was minted after an OTP verification (``amr`` ``pwd`` and ``otp``), so a policy
requiring MFA lets it through; ``bench-pwd`` after a password only, so the same policy refuses it (403
``mfa_required``: the check that the policy is evaluated). Their user has a confirmed TOTP device.

A real token authentication reads its token per request (a query or a cache hit); here the user is read once per
process. Both configurations use this class, so its cost is common to both and the ratio isolates the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

USERNAME = "bench-mfa-user"
WORKSPACE = "bench-ws"
MFA_TOKEN = "Bearer bench-mfa"
PASSWORD_TOKEN = "Bearer bench-pwd"
_user: list[Any] = []


@dataclass(frozen=True)
class BenchToken:
    """What a host's token record tells the app: its id, workspace, ``amr`` methods, service account or not."""

    pk: int
    workspace_key: str
    amr: tuple[str, ...]
    is_service_account: bool = False


TOKENS = {
    MFA_TOKEN: BenchToken(1, WORKSPACE, ("pwd", "otp")),
    PASSWORD_TOKEN: BenchToken(2, WORKSPACE, ("pwd",)),
}


def create_user() -> None:
    """Create the tokens' user with a confirmed TOTP device, once per database."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    _user.clear()


def bench_user() -> Any:
    """Return the tokens' user, read from the database once per process."""
    if not _user:
        from django.contrib.auth import get_user_model

        _user.append(get_user_model().objects.get(username=USERNAME))
    return _user[0]


class BenchTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: the token's user, or 401 for an unknown token; none: anonymous."""

    def authenticate(self, request: Any) -> tuple[Any, BenchToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        token = TOKENS.get(header)
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        return bench_user(), token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'  # so that DRF answers an anonymous request 401, not 403
