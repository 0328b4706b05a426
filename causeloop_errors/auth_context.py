"""How a request was authenticated: RFC 8176 ``amr`` methods, session or token, service account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth import BACKEND_SESSION_KEY

from causeloop_errors.conf import app_settings, imported

_ATTRIBUTE = "_causeloop_auth_context"


@dataclass(frozen=True)
class AuthContext:
    """The one object the app reads to know how a request was authenticated."""

    methods: frozenset[str]
    kind: Literal["session", "token", "anonymous"]
    service_account: bool = False

    @property
    def mfa(self) -> bool:
        """Return whether a second factor was verified (``otp``, or an IdP's ``mfa``)."""
        return bool(self.methods & {"otp", "mfa"})

    @property
    def sso(self) -> bool:
        """Return whether the request was authenticated through single sign-on."""
        return "sso" in self.methods


ANONYMOUS = AuthContext(frozenset(), "anonymous")


def resolve_auth_context(request: Any) -> AuthContext:
    """Read the context from a token's own record (``amr``, ``is_service_account``) or from the session.

    For a session, the login backend Django recorded marks ``sso`` when it is one of ``SSO_BACKENDS``
    (``pwd`` otherwise), and django-otp's verification (``OTPMiddleware``) marks ``otp``.
    """
    token = getattr(request, "auth", None)
    if token is not None:
        minted = frozenset(str(method) for method in getattr(token, "amr", None) or ("pwd",))
        return AuthContext(minted, "token", bool(getattr(token, "is_service_account", False)))
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    session = getattr(request, "session", None)
    backend = session.get(BACKEND_SESSION_KEY) if session is not None else None
    methods: set[str] = {"sso"} if backend in app_settings.SSO_BACKENDS else {"pwd"}
    is_verified = getattr(user, "is_verified", None)
    if callable(is_verified) and is_verified():
        methods.add("otp")
    return AuthContext(frozenset(methods), "session", bool(getattr(user, "is_service_account", False)))


def auth_context(request: Any) -> AuthContext:
    """Return the request's ``AuthContext`` from the configured resolver, computed once per request."""
    holder = getattr(request, "_request", request)
    context = getattr(holder, _ATTRIBUTE, None)
    if context is None:
        context = imported(app_settings.AUTH_CONTEXT_RESOLVER)(request)
        setattr(holder, _ATTRIBUTE, context)
    return context
