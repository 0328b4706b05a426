"""Workspace policies in the example API: acme requires MFA, globex SSO, initech is open.

End to end through the test client with real django-otp TOTP devices; codes are computed from the device key.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.policies.models import WorkspacePolicy
from example_project.demo import sso
from example_project.demo.models import Issue, Membership, Workspace
from tests.contract import assert_envelope

pytestmark = pytest.mark.django_db

PASSWORD = "demo-password"
MFA_ENROLLMENT_REQUIRED = "MFA enrollment is required by this workspace."
MFA_VERIFICATION_REQUIRED = "MFA verification is required by this workspace."
SSO_REQUIRED = "SSO is enforced for this workspace — use the SSO flow."
PROTECTED = "/api/issues"


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """The demo's world: alice (confirmed TOTP device) and bob (none), members of acme, globex and initech."""
    users = get_user_model().objects
    alice = users.create_user("alice", password=PASSWORD)
    bob = users.create_user("bob", password=PASSWORD)
    for slug in ("acme", "globex", "initech"):
        workspace = Workspace.objects.create(slug=slug, name=slug.title())
        Membership.objects.bulk_create(
            [Membership(user=alice, workspace=workspace), Membership(user=bob, workspace=workspace)]
        )
    with django_capture_on_commit_callbacks(execute=True):  # the invalidation an admin's save triggers
        WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
        WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)
    device = TOTPDevice.objects.create(user=alice, name="default", confirmed=True)
    return {"alice": alice, "bob": bob, "device": device}


def post(client: Client, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def password_token(client: Client, username: str, workspace: str, otp: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD, "workspace": workspace}
    response = post(client, "/auth/token", body if otp is None else {**body, "otp": otp})
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def exchanged_token(client: Client, username: str, workspace: str) -> str:
    response = post(client, "/auth/exchange", {"subject_token": sso.issue(username), "workspace": workspace})
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])


def get(client: Client, token: str | None, path: str = PROTECTED, workspace: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if workspace is not None:
        headers["X-Workspace"] = workspace
    return client.get(path, headers=headers)


# MFA: acme


def test_bob_without_a_device_is_told_to_enroll_by_acme(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "acme")

    error = assert_envelope(get(api_client, token), 403, "mfa_required")

    assert error["message"] == MFA_ENROLLMENT_REQUIRED
    assert error["details"] == {"workspace": "acme", "reason": "enrollment_required"}


def test_alice_with_a_password_only_token_is_told_to_verify_by_acme(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "alice", "acme")

    error = assert_envelope(get(api_client, token), 403, "mfa_required")

    assert error["message"] == MFA_VERIFICATION_REQUIRED
    assert error["details"] == {"workspace": "acme", "reason": "verification_required"}


def test_alice_with_a_token_minted_with_her_code_reads_acme(
    api_client: Client, world: dict[str, Any], demo_totp_code: Callable[..., str]
) -> None:
    token = password_token(api_client, "alice", "acme", otp=demo_totp_code(world["device"]))

    response = get(api_client, token)

    assert response.status_code == 200, response.content
    assert response.json() == {"results": []}


def test_after_warm_up_a_compliant_request_into_acme_costs_no_query_for_the_policy(
    api_client: Client, world: dict[str, Any], demo_totp_code: Callable[..., str]
) -> None:
    token = password_token(api_client, "alice", "acme", otp=demo_totp_code(world["device"]))
    assert get(api_client, token).status_code == 200  # warm-up: the policy and the workspace are read once

    with CaptureQueriesContext(connection) as queries:
        assert get(api_client, token).status_code == 200

    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert [sql.split(" FROM ")[1].split()[0] for sql in statements] == ['"demo_apitoken"', '"demo_issue"']


def test_bob_enrolls_and_confirms_while_blocked_then_his_same_token_reads_acme(
    api_client: Client, world: dict[str, Any], demo_totp_code: Callable[..., str]
) -> None:
    token = password_token(api_client, "bob", "acme")
    assert_envelope(get(api_client, token), 403, "mfa_required")
    assert get(api_client, token, "/api/me").status_code == 200  # who-am-i stays reachable

    enrollment = post(api_client, "/api/me/mfa/totp", {}, token)
    assert enrollment.status_code == 201, enrollment.content
    device = TOTPDevice.objects.get(user=world["bob"])
    confirmation = post(api_client, "/api/me/mfa/totp/confirm", {"code": demo_totp_code(device)}, token)
    assert confirmation.status_code == 200, confirmation.content

    response = get(api_client, token)
    assert response.status_code == 200, response.content
    assert get(api_client, token, "/api/me").json()["amr"] == ["pwd", "otp"]


def test_a_blocked_user_cannot_write_either(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "acme")

    response = post(api_client, PROTECTED, {"title": "let me in"}, token)

    assert_envelope(response, 403, "mfa_required")
    assert not Issue.objects.exists()


# SSO: globex


def test_a_password_token_into_globex_is_told_to_use_sso(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "globex")

    error = assert_envelope(get(api_client, token), 403, "sso_required")

    assert error["message"] == SSO_REQUIRED
    assert error["details"] == {"workspace": "globex"}


def test_an_exchanged_token_reads_globex(api_client: Client, world: dict[str, Any]) -> None:
    token = exchanged_token(api_client, "bob", "globex")

    response = get(api_client, token)

    assert response.status_code == 200, response.content


# initech: no policy


@pytest.mark.parametrize("username", ["alice", "bob"])
@pytest.mark.parametrize("how", ["password", "exchange"])
def test_initech_is_open_to_every_member_however_authenticated(
    api_client: Client, world: dict[str, Any], username: str, how: str
) -> None:
    mint = password_token if how == "password" else exchanged_token
    token = mint(api_client, username, "initech")

    assert get(api_client, token).status_code == 200


# Which workspace: X-Workspace header, authentication first


def test_a_malformed_workspace_header_is_a_validation_error(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "initech")

    response = get(api_client, token, workspace="bad key!")

    assert_envelope(response, 400, "validation_error", {"workspace": "Not a well-formed workspace key."})


def test_an_unknown_workspace_header_is_not_found(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "initech")

    response = get(api_client, token, workspace="nosuch")

    assert_envelope(response, 404, "not_found", {"workspace": "nosuch"})


def test_a_header_naming_the_tokens_own_workspace_is_honoured(api_client: Client, world: dict[str, Any]) -> None:
    assert get(api_client, password_token(api_client, "bob", "initech"), workspace="initech").status_code == 200
    assert_envelope(get(api_client, password_token(api_client, "bob", "acme"), workspace="acme"), 403, "mfa_required")


def test_a_header_naming_an_open_workspace_does_not_let_an_acme_token_past_acmes_policy(
    api_client: Client, world: dict[str, Any]
) -> None:
    token = password_token(api_client, "bob", "acme")

    response = get(api_client, token, workspace="initech")

    # the core also applies the token's own workspace policy, whatever the header names
    assert_envelope(response, 403, "mfa_required", {"workspace": "acme", "reason": "enrollment_required"})


def test_a_compliant_token_naming_another_workspace_is_forbidden_by_the_demo(
    api_client: Client, world: dict[str, Any]
) -> None:
    token = exchanged_token(api_client, "alice", "globex")

    response = get(api_client, token, workspace="initech")

    assert_envelope(response, 403, "forbidden", {"workspace": "initech", "token_workspace": "globex"})


def test_a_header_naming_a_stricter_workspace_applies_its_policy(api_client: Client, world: dict[str, Any]) -> None:
    token = password_token(api_client, "bob", "initech")

    response = get(api_client, token, workspace="acme")

    assert_envelope(response, 403, "mfa_required", {"workspace": "acme", "reason": "enrollment_required"})


@pytest.mark.parametrize("workspace", ["acme", "globex", "bad key!", "nosuch"])
def test_an_unauthenticated_request_is_unauthorized_before_any_policy(
    api_client: Client, world: dict[str, Any], workspace: str
) -> None:
    response = get(api_client, None, workspace=workspace)

    assert_envelope(response, 401, "unauthorized")


# An administrator's change, seen on the next request


@pytest.mark.django_db(transaction=True)  # invalidation runs on commit, as after an admin's save
@pytest.mark.parametrize("change", ["untick", "delete"])
def test_an_administrator_dropping_acmes_mfa_lets_bob_in_on_his_next_request(
    api_client: Client, world: dict[str, Any], change: str
) -> None:
    token = password_token(api_client, "bob", "acme")
    assert_envelope(get(api_client, token), 403, "mfa_required")

    policy = WorkspacePolicy.objects.get(workspace_key="acme")
    if change == "untick":
        policy.require_mfa = False
        policy.save()
    else:
        policy.delete()

    assert get(api_client, token).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_administrator_requiring_mfa_for_initech_blocks_bob_on_his_next_request(
    api_client: Client, world: dict[str, Any]
) -> None:
    token = password_token(api_client, "bob", "initech")
    assert get(api_client, token).status_code == 200

    WorkspacePolicy.objects.create(workspace_key="initech", require_mfa=True)

    assert_envelope(get(api_client, token), 403, "mfa_required")


# The admin, with the demo's workspaces and members


def test_the_policy_admin_offers_the_demo_workspaces_and_counts_acmes_members_it_blocks(
    admin_client: Client, world: dict[str, Any]
) -> None:
    policy = WorkspacePolicy.objects.get(workspace_key="acme")

    response = admin_client.get(f"/admin/causeloop_policies/workspacepolicy/{policy.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    for slug in ("acme", "globex", "initech"):
        assert f'<option value="{slug}"' in page
    assert "2 members. Require MFA blocks 1 (no confirmed MFA device)." in page  # bob; alice has a device


# Wiring


def test_the_policy_permission_can_be_listed_in_default_permission_classes() -> None:
    """DRF imports DEFAULT_PERMISSION_CLASSES while importing rest_framework.views: the class must not need it."""
    script = (
        "import django\n"
        "from django.conf import settings\n"
        "import example_project.settings as host\n"
        "config = {name: getattr(host, name) for name in dir(host) if name.isupper()}\n"
        "config['REST_FRAMEWORK'] = {**host.REST_FRAMEWORK, 'DEFAULT_PERMISSION_CLASSES': [\n"
        "    'rest_framework.permissions.IsAuthenticated',\n"
        "    'causeloop_errors.policies.permissions.EnforceWorkspacePolicy']}\n"
        "settings.configure(**config)\n"
        "django.setup()\n"
        "import example_project.urls\n"
        "from rest_framework.views import APIView\n"
        "print([c.__name__ for c in APIView.permission_classes])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=env["PYTHONPATH"], timeout=60
    )

    assert result.returncode == 0, result.stderr[-800:]
    assert result.stdout.strip() == "['IsAuthenticated', 'EnforceWorkspacePolicy']"
