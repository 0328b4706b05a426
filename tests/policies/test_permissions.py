"""Enforcement through HTTP: the DRF permission, the plain-view decorator, exemptions, query cost."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors import signals
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import store
from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]


PROTECTED = "/api/policy/protected"


@pytest.fixture
def policies(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # as committed: the store keeps what it reads
        WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
        WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", password="pw")


def _token(username: str, amr: str = "pwd", *, service: bool = False, workspace: str = "acme") -> dict[str, str]:
    return {
        "HTTP_AUTHORIZATION": f"Test {username} {amr}{' service' if service else ''}",
        "HTTP_X_TOKEN_WORKSPACE": workspace,
    }


def test_user_without_a_device_gets_mfa_required_with_the_contract_message(
    client: Client, policies: None, bob: User
) -> None:
    error = assert_envelope(client.get(PROTECTED, **_token("bob")), 403, "mfa_required")
    assert error["message"] == "MFA enrollment is required by this workspace."
    assert error["details"] == {"workspace": "acme", "reason": "enrollment_required"}


def test_user_with_a_device_but_a_password_token_must_verify(client: Client, policies: None, bob: User) -> None:
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    error = assert_envelope(client.get(PROTECTED, **_token("bob")), 403, "mfa_required")
    assert error["details"]["reason"] == "verification_required"


def test_compliant_token_passes(client: Client, policies: None, bob: User) -> None:
    assert client.get(PROTECTED, **_token("bob", "pwd,otp")).status_code == 200


def test_sso_required_with_the_contract_message(client: Client, policies: None, bob: User) -> None:
    error = assert_envelope(client.get(PROTECTED, **_token("bob", workspace="globex")), 403, "sso_required")
    assert error["message"] == "SSO is enforced for this workspace — use the SSO flow."
    assert client.get(PROTECTED, **_token("bob", "sso", workspace="globex")).status_code == 200


def test_workspace_without_a_policy_is_open(client: Client, policies: None, bob: User) -> None:
    assert client.get(PROTECTED, **_token("bob", workspace="initech")).status_code == 200


def test_unauthenticated_requests_get_401_first(client: Client, policies: None) -> None:
    response = client.get(PROTECTED, HTTP_X_WORKSPACE="acme")
    assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == "Test"


def test_workspace_from_the_url_kwarg_wins_over_header_and_token(client: Client, policies: None, bob: User) -> None:
    headers = {**_token("bob", workspace="initech"), "HTTP_X_WORKSPACE": "initech"}
    assert_envelope(client.get("/api/policy/w/acme/protected", **headers), 403, "mfa_required")


def test_workspace_from_the_header_wins_over_the_token(client: Client, policies: None, bob: User) -> None:
    headers = {**_token("bob", workspace="initech"), "HTTP_X_WORKSPACE": "globex"}
    assert_envelope(client.get(PROTECTED, **headers), 403, "sso_required")


@pytest.mark.parametrize("bad", ["bad key!", "", "../etc", "x" * 101, "acme\r\nX-Injected: 1"])
def test_malformed_workspace_key_is_a_validation_error(client: Client, policies: None, bob: User, bad: str) -> None:
    error = assert_envelope(client.get(PROTECTED, HTTP_X_WORKSPACE=bad, **_token("bob")), 400, "validation_error")
    assert list(error["details"]) == ["workspace"]


@override_settings(CAUSELOOP_ERRORS={"WORKSPACE_MODEL": "auth.Group", "WORKSPACE_KEY_FIELD": "name"})
def test_unknown_workspace_is_not_found_when_the_host_names_its_model(
    client: Client, policies: None, bob: User
) -> None:
    from django.contrib.auth.models import Group

    error = assert_envelope(client.get(PROTECTED, HTTP_X_WORKSPACE="nosuch", **_token("bob")), 404, "not_found")
    assert error["details"] == {"workspace": "nosuch"}
    Group.objects.create(name="acme")
    assert_envelope(client.get(PROTECTED, HTTP_X_WORKSPACE="acme", **_token("bob")), 403, "mfa_required")


def test_exempt_views_stay_reachable(client: Client, policies: None, bob: User) -> None:
    assert client.get("/api/policy/exempt", **_token("bob")).status_code == 200
    assert client.get("/api/policy/exempt-attribute", **_token("bob")).status_code == 200


def test_service_account_credentials_are_exempt_by_default(client: Client, policies: None, bob: User) -> None:
    assert client.get(PROTECTED, **_token("bob", service=True)).status_code == 200
    WorkspacePolicy.objects.filter(workspace_key="acme").update(exempt_service_accounts=False)
    store.invalidate()
    assert_envelope(client.get(PROTECTED, **_token("bob", service=True)), 403, "mfa_required")


def test_break_glass_use_is_signalled(client: Client, policies: None, bob: User) -> None:
    WorkspacePolicy.objects.get(workspace_key="globex").break_glass_users.add(bob)
    store.invalidate()
    used: list[dict[str, object]] = []
    signals.break_glass_used.connect(lambda **kwargs: used.append(kwargs), weak=False, dispatch_uid="test-bg")
    try:
        assert client.get(PROTECTED, **_token("bob", workspace="globex")).status_code == 200
    finally:
        signals.break_glass_used.disconnect(dispatch_uid="test-bg")
    assert len(used) == 1 and used[0]["user"] == bob and used[0]["workspace_key"] == "globex"


def test_denials_are_signalled_with_code_and_details(client: Client, policies: None, bob: User) -> None:
    denied: list[dict[str, object]] = []
    signals.policy_denied.connect(lambda **kwargs: denied.append(kwargs), weak=False, dispatch_uid="test-deny")
    try:
        client.get(PROTECTED, **_token("bob"))
    finally:
        signals.policy_denied.disconnect(dispatch_uid="test-deny")
    assert [(d["code"], d["workspace_key"], d["details"]) for d in denied] == [
        ("mfa_required", "acme", {"workspace": "acme", "reason": "enrollment_required"})
    ]


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_grace_period_header_reaches_the_client_and_is_exposed(client: Client, policies: None, bob: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    deadline = timezone.now() + timedelta(days=7)
    WorkspacePolicy.objects.filter(workspace_key="acme").update(mfa_enforced_from=deadline)
    store.invalidate()
    response = client.get(PROTECTED, **_token("bob"))
    assert response.status_code == 200
    assert response["MFA-Enforced-From"] == deadline.isoformat()
    assert "MFA-Enforced-From" in response["Access-Control-Expose-Headers"]


def test_plain_django_view_decorator_enforces_the_same_policy(client: Client, policies: None, bob: User) -> None:
    client.force_login(bob)
    assert_envelope(client.get("/api/policy/plain/acme"), 403, "mfa_required")
    assert client.get("/api/policy/plain/initech").status_code == 200


def test_session_verified_by_django_otp_counts_as_mfa(client: Client, policies: None, bob: User) -> None:
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    client.force_login(bob)
    assert_envelope(client.get(PROTECTED, HTTP_X_WORKSPACE="acme"), 403, "mfa_required")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert client.get(PROTECTED, HTTP_X_WORKSPACE="acme").status_code == 200


@override_settings(
    CAUSELOOP_ERRORS={"SSO_BACKENDS": ["tests.policy_views.SSOBackend"]},
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend", "tests.policy_views.SSOBackend"],
)
def test_session_logged_in_through_an_sso_backend_counts_as_sso(client: Client, policies: None, bob: User) -> None:
    client.force_login(bob, backend="django.contrib.auth.backends.ModelBackend")
    assert_envelope(client.get(PROTECTED, HTTP_X_WORKSPACE="globex"), 403, "sso_required")
    client.force_login(bob, backend="tests.policy_views.SSOBackend")
    assert client.get(PROTECTED, HTTP_X_WORKSPACE="globex").status_code == 200


def test_compliant_request_costs_no_query_for_the_policy_decision(client: Client, policies: None, bob: User) -> None:
    headers = _token("bob", "pwd,otp")
    client.get(PROTECTED, **headers)  # warm-up
    with CaptureQueriesContext(connection) as enforced:
        assert client.get(PROTECTED, **headers).status_code == 200
    with CaptureQueriesContext(connection) as baseline:
        assert client.get("/api/policy/unprotected", **headers).status_code == 200
    assert len(enforced.captured_queries) == len(baseline.captured_queries)


def test_a_header_naming_an_open_workspace_never_escapes_the_tokens_own_policy(
    client: Client, policies: None, bob: User
) -> None:
    headers = {**_token("bob", workspace="acme"), "HTTP_X_WORKSPACE": "initech"}
    error = assert_envelope(client.get(PROTECTED, **headers), 403, "mfa_required")
    assert error["details"]["workspace"] == "acme"
