"""Management commands of the example API: seed_demo and demo_sso_token."""

from __future__ import annotations

import io
import json
import re
from base64 import b32decode, b32encode
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.ratelimits.models import RateLimitRule
from example_project.demo.models import Membership, Workspace

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    users = get_user_model().objects.order_by("username")
    return {
        "users": list(users.values("username", "password", "is_staff", "is_superuser", "is_active")),
        "workspaces": list(Workspace.objects.order_by("slug").values()),
        "memberships": sorted(Membership.objects.values_list("user__username", "workspace__slug")),
        "policies": list(
            WorkspacePolicy.objects.order_by("workspace_key").values("workspace_key", "require_mfa", "require_sso")
        ),
        "devices": list(TOTPDevice.objects.order_by("pk").values("user__username", "key", "confirmed")),
        "rules": list(RateLimitRule.objects.order_by("name").values()),
    }


def b32encode_key(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode()


def printed_key(output: str) -> str:
    match = re.search(r"alice's TOTP key \(base32[^)]*\): ([A-Z2-7]+=*)", output)
    assert match, output
    return match.group(1)


def test_seed_demo_creates_the_demo_workspaces_users_and_memberships() -> None:
    output = run("seed_demo")

    state = snapshot()
    assert [w["slug"] for w in state["workspaces"]] == ["acme", "globex", "initech"]
    assert {u["username"]: (u["is_staff"], u["is_superuser"]) for u in state["users"]} == {
        "admin": (True, True),
        "alice": (False, False),
        "bob": (False, False),
    }
    members = [(user, ws) for user in ("alice", "bob") for ws in ("acme", "globex", "initech")]
    assert state["memberships"] == [("admin", "initech"), *members]  # the staff user reads audit events
    assert all(
        get_user_model().objects.get(username=name).check_password("demo-password")
        for name in ("alice", "bob", "admin")
    )
    assert "acme" in output
    assert "alice" in output


def test_seed_demo_twice_changes_nothing() -> None:
    run("seed_demo")
    before = snapshot()

    output = run("seed_demo")

    assert snapshot() == before
    assert "0 users, 0 memberships, 0 policies, 0 TOTP devices, 0 rate-limit rules" in output


def test_seed_demo_makes_acme_require_mfa_and_globex_sso_and_leaves_initech_open() -> None:
    run("seed_demo")

    policies = WorkspacePolicy.objects.order_by("workspace_key").values_list(
        "workspace_key", "require_mfa", "require_sso"
    )
    assert list(policies) == [("acme", True, False), ("globex", False, True)]


def test_seed_demo_adds_the_auth_ip_rate_limit_and_prints_it() -> None:
    output = run("seed_demo")

    rule = RateLimitRule.objects.get()
    assert (rule.name, rule.rate, rule.key, rule.path_prefix, rule.mode, rule.enabled) == (
        "auth-ip",
        "10/m",
        "ip",
        "/auth/",
        "enforce",
        True,
    )
    assert (rule.methods, rule.path_regex, rule.view_names, rule.throttle_scopes, rule.client_networks) == ("",) * 5
    assert (rule.workspace_key, rule.overrides, rule.expires_at, rule.fail_closed) == ("", None, None, False)
    assert "Rate-limit rules: auth-ip (10/m per client IP) on /auth/, enforce." in output
    assert "1 rate-limit rules" in output


def test_seed_demo_leaves_an_administrators_rate_limit_edits_alone() -> None:
    run("seed_demo")
    RateLimitRule.objects.filter(name="auth-ip").update(rate="100/h", mode="observe", enabled=False)

    output = run("seed_demo")

    rule = RateLimitRule.objects.get()
    assert (rule.rate, rule.mode, rule.enabled) == ("100/h", "observe", False)
    assert "Rate-limit rules: auth-ip (100/h per client IP) on /auth/, observe, disabled." in output
    assert "0 rate-limit rules" in output


def test_seed_demo_gives_alice_a_confirmed_totp_device_and_bob_none() -> None:
    output = run("seed_demo")

    device = TOTPDevice.objects.get()
    assert (device.user.username, device.confirmed) == ("alice", True)
    assert printed_key(output) == b32encode_key(device)
    key_line = next(line for line in output.splitlines() if "TOTP key" in line)
    assert "printed because this is a demo" in key_line


def test_seed_demo_leaves_an_administrators_policy_change_and_alices_device_alone() -> None:
    run("seed_demo")
    WorkspacePolicy.objects.filter(workspace_key="acme").update(require_mfa=False)
    device = TOTPDevice.objects.get()

    output = run("seed_demo")

    assert not WorkspacePolicy.objects.get(workspace_key="acme").require_mfa
    assert list(TOTPDevice.objects.all()) == [device]
    assert printed_key(output) == b32encode_key(device)


def test_the_key_seed_demo_prints_gives_codes_that_mint_an_otp_token_for_acme(api_client: Client) -> None:
    key = b32decode(printed_key(run("seed_demo")))
    code = str(totp(key)).zfill(6)

    response = api_client.post(
        "/auth/token",
        json.dumps({"username": "alice", "password": "demo-password", "workspace": "acme", "otp": code}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    issues = api_client.get("/api/issues", headers={"Authorization": f"Bearer {token}"})
    assert issues.status_code == 200, issues.content  # acme requires MFA, and this token has it


def test_seed_demo_leaves_an_existing_user_alone() -> None:
    get_user_model().objects.create_user("alice", password="changed-by-alice")

    run("seed_demo")

    assert get_user_model().objects.get(username="alice").check_password("changed-by-alice")


def test_demo_sso_token_prints_a_subject_token_that_exchanges(api_client: Client) -> None:
    run("seed_demo")

    subject_token = run("demo_sso_token", "bob").strip()
    response = api_client.post(
        "/auth/exchange",
        json.dumps({"subject_token": subject_token, "workspace": "globex"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
