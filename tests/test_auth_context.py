"""How a request was authenticated: tokens' own records, sessions' backend and django-otp verification."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from causeloop_errors.auth_context import ANONYMOUS, AuthContext, auth_context, resolve_auth_context


def _request(**attributes: object) -> SimpleNamespace:
    return SimpleNamespace(**attributes)


def test_token_context_comes_from_the_tokens_amr_and_service_flag() -> None:
    token = SimpleNamespace(amr=["pwd", "otp"], is_service_account=True)
    context = resolve_auth_context(_request(auth=token))
    assert context == AuthContext(frozenset({"pwd", "otp"}), "token", service_account=True)
    assert context.mfa and not context.sso


def test_token_without_an_amr_record_counts_as_password() -> None:
    assert resolve_auth_context(_request(auth=object())).methods == frozenset({"pwd"})


def test_anonymous_request() -> None:
    assert resolve_auth_context(_request(auth=None, user=AnonymousUser())) == ANONYMOUS


def _user(verified: bool) -> SimpleNamespace:
    return SimpleNamespace(is_authenticated=True, is_verified=lambda: verified)


def test_session_is_pwd_and_otp_once_django_otp_verified_it() -> None:
    session = {BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"}
    assert resolve_auth_context(_request(auth=None, user=_user(False), session=session)).methods == {"pwd"}
    assert resolve_auth_context(_request(auth=None, user=_user(True), session=session)).methods == {"pwd", "otp"}


@override_settings(CAUSELOOP_ERRORS={"SSO_BACKENDS": ["example.SAMLBackend"]})
def test_session_from_a_configured_sso_backend_is_sso() -> None:
    context = resolve_auth_context(
        _request(auth=None, user=_user(False), session={BACKEND_SESSION_KEY: "example.SAMLBackend"})
    )
    assert context.sso and context.kind == "session"


def custom_resolver(request: object) -> AuthContext:
    return AuthContext(frozenset({"sso", "mfa"}), "token")


@override_settings(CAUSELOOP_ERRORS={"AUTH_CONTEXT_RESOLVER": "tests.test_auth_context.custom_resolver"})
def test_resolver_is_replaceable_and_computed_once_per_request() -> None:
    request = _request()
    first = auth_context(request)
    assert first == AuthContext(frozenset({"sso", "mfa"}), "token") and first.mfa
    assert auth_context(request) is first


@pytest.mark.parametrize("methods", [{"otp"}, {"mfa"}])
def test_otp_or_an_idps_mfa_counts_as_mfa(methods: set[str]) -> None:
    assert AuthContext(frozenset(methods), "token").mfa
