"""Management commands of the example API: seed_demo and demo_sso_token."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

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
    }


def test_seed_demo_creates_the_demo_workspaces_users_and_memberships() -> None:
    output = run("seed_demo")

    state = snapshot()
    assert [w["slug"] for w in state["workspaces"]] == ["acme", "globex", "initech"]
    assert {u["username"]: (u["is_staff"], u["is_superuser"]) for u in state["users"]} == {
        "admin": (True, True),
        "alice": (False, False),
        "bob": (False, False),
    }
    assert state["memberships"] == [(user, ws) for user in ("alice", "bob") for ws in ("acme", "globex", "initech")]
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
    assert "0 users, 0 memberships" in output


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
