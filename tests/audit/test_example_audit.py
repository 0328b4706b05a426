"""The example API's audit trail: ``GET /api/audit-events?trace_id=...`` for staff allowed to view audit events, and
no secret in any event."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import store
from example_project.demo import sso, tokens
from example_project.demo.audit_views import (
    MALFORMED_TRACE_ID,
    PERMISSION_REQUIRED,
    STAFF_ONLY,
    VIEW_AUDIT_EVENTS,
)
from example_project.demo.models import Membership, Workspace
from tests.contract import assert_envelope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_request_in_flight")]

AUDIT_EVENTS = "/api/audit-events"


def _view_audit_events() -> Permission:
    app_label, codename = VIEW_AUDIT_EVENTS.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def staff_user(demo_workspace: Workspace) -> Any:
    """Return sam, support staff allowed to view audit events, member of ``acme``."""
    user = get_user_model().objects.create_user("sam", "sam@example.com", "sam-password", is_staff=True)
    user.user_permissions.add(_view_audit_events())
    Membership.objects.create(user=user, workspace=demo_workspace)
    return user


@pytest.fixture
def staff_without_permission_headers(demo_workspace: Workspace) -> dict[str, str]:
    """Return the headers of a token of pat: staff (the admin lets pat sign in) but not allowed to view audit events."""
    user = get_user_model().objects.create_user("pat", "pat@example.com", "pat-password", is_staff=True)
    Membership.objects.create(user=user, workspace=demo_workspace)
    return _bearer(user, demo_workspace)


def _bearer(user: Any, workspace: Workspace, amr: tuple[str, ...] = ("pwd", "otp")) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.mint(user, workspace, amr=list(amr)).secret}"}


@pytest.fixture
def staff_headers(staff_user: Any, demo_workspace: Workspace) -> dict[str, str]:
    """Return the headers of a token sam minted with his password and an MFA code."""
    return _bearer(staff_user, demo_workspace)


@pytest.fixture
def acme_requires_mfa(demo_workspace: Workspace) -> WorkspacePolicy:
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store.invalidate()
    return policy


def _events(client: Client, trace_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(AUDIT_EVENTS, {"trace_id": trace_id}, headers=headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["results"]
    return list(body["results"])


def test_staff_reads_the_policy_denial_of_a_previous_request_by_its_request_id(
    api_client: Client, demo_headers: dict[str, str], staff_headers: dict[str, str], acme_requires_mfa: Any
) -> None:
    denied = api_client.get("/api/issues", headers={**demo_headers, "User-Agent": "curl/8.5"})
    assert_envelope(denied, 403, "mfa_required")

    [event] = _events(api_client, denied["X-Request-Id"], staff_headers)

    stored = AuditEvent.objects.get(trace_id=denied["X-Request-Id"])
    assert datetime.fromisoformat(event.pop("created_at").replace("Z", "+00:00")) == stored.created_at
    assert event == {
        "trace_id": denied["X-Request-Id"],
        "last_trace_id": denied["X-Request-Id"],  # one occurrence: its first is its latest
        "action": "policy.mfa_required",
        "code": "mfa_required",
        "status": 403,
        "actor": "alice",
        "workspace": "acme",
        "client_ip": "127.0.0.1",
        "method": "GET",
        "path": "/api/issues",
        "occurrences": 1,
        "details": {"workspace": "acme", "reason": "enrollment_required"},
    }


def test_staff_reads_the_internal_error_of_a_crashed_request(api_client: Client, staff_headers: dict[str, str]) -> None:
    crashed = api_client.get("/api/demo/fail?ticket=T-42")
    assert_envelope(crashed, 500, "internal_error")

    [event] = _events(api_client, crashed["X-Request-Id"], staff_headers)

    assert (event["action"], event["status"], event["actor"], event["path"]) == (
        "api.internal_error",
        500,
        None,
        "/api/demo/fail",
    )
    assert event["trace_id"] == event["last_trace_id"] == crashed["X-Request-Id"]


def test_a_merged_event_is_found_by_the_request_id_of_its_latest_occurrence(
    api_client: Client, demo_headers: dict[str, str], staff_headers: dict[str, str], acme_requires_mfa: Any
) -> None:
    first = api_client.get("/api/issues", headers=demo_headers)["X-Request-Id"]
    latest = api_client.get("/api/issues", headers=demo_headers)["X-Request-Id"]

    by_first = _events(api_client, first, staff_headers)
    by_latest = _events(api_client, latest, staff_headers)

    assert by_first == by_latest
    assert [(event["action"], event["occurrences"]) for event in by_latest] == [("policy.mfa_required", 2)]
    assert (by_latest[0]["trace_id"], by_latest[0]["last_trace_id"]) == (first, latest)


def test_an_unknown_trace_id_has_no_events(api_client: Client, staff_headers: dict[str, str]) -> None:
    assert _events(api_client, "0b9c0c2e-5f7e-4f43-9f0e-3c3c1f9b2d11", staff_headers) == []


def test_a_token_of_a_user_who_is_not_staff_is_forbidden(api_client: Client, demo_headers: dict[str, str]) -> None:
    crashed = api_client.get("/api/demo/fail")["X-Request-Id"]

    response = api_client.get(AUDIT_EVENTS, {"trace_id": crashed}, headers=demo_headers)

    error = assert_envelope(response, 403, "forbidden")
    assert error["message"] == STAFF_ONLY


def test_a_staff_user_without_the_view_permission_is_forbidden(
    api_client: Client, staff_without_permission_headers: dict[str, str]
) -> None:
    crashed = api_client.get("/api/demo/fail")["X-Request-Id"]

    response = api_client.get(AUDIT_EVENTS, {"trace_id": crashed}, headers=staff_without_permission_headers)

    error = assert_envelope(response, 403, "forbidden", {"permission": VIEW_AUDIT_EVENTS})
    assert error["message"] == PERMISSION_REQUIRED
    assert error["trace_id"] == response["X-Request-Id"]


def test_a_staff_user_without_the_view_permission_is_forbidden_before_the_trace_id_is_read(
    api_client: Client, staff_without_permission_headers: dict[str, str]
) -> None:
    response = api_client.get(AUDIT_EVENTS, {"trace_id": "short"}, headers=staff_without_permission_headers)

    assert_envelope(response, 403, "forbidden", {"permission": VIEW_AUDIT_EVENTS})


def test_the_view_permission_granted_through_a_group_is_enough(api_client: Client, demo_workspace: Workspace) -> None:
    support = Group.objects.create(name="support")
    support.permissions.add(_view_audit_events())
    user = get_user_model().objects.create_user("gil", "gil@example.com", "gil-password", is_staff=True)
    user.groups.add(support)
    Membership.objects.create(user=user, workspace=demo_workspace)
    crashed = api_client.get("/api/demo/fail")["X-Request-Id"]

    [event] = _events(api_client, crashed, _bearer(user, demo_workspace))

    assert (event["action"], event["trace_id"], event["last_trace_id"]) == ("api.internal_error", crashed, crashed)


def test_the_seeded_admin_reads_audit_events_as_the_walkthrough_does(api_client: Client) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    admin = get_user_model().objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser, admin.user_permissions.exists()) == (True, True, False)
    crashed = api_client.get("/api/demo/fail")["X-Request-Id"]

    [event] = _events(api_client, crashed, _bearer(admin, Workspace.objects.get(slug="initech"), amr=("pwd",)))

    assert (event["action"], event["trace_id"], event["last_trace_id"]) == ("api.internal_error", crashed, crashed)


def test_a_request_without_a_token_is_unauthorized(api_client: Client, db: None) -> None:
    assert_envelope(api_client.get(AUDIT_EVENTS, {"trace_id": "0b9c0c2e-5f7e"}), 401, "unauthorized")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "This field is required."),
        ({"trace_id": ""}, "This field may not be blank."),
        ({"trace_id": "short"}, MALFORMED_TRACE_ID),
        ({"trace_id": "trace id with spaces"}, MALFORMED_TRACE_ID),
        ({"trace_id": "x" * 129}, "Ensure this field has no more than 128 characters."),
    ],
)
def test_a_missing_or_malformed_trace_id_is_a_validation_error_naming_it(
    api_client: Client, staff_headers: dict[str, str], query: dict[str, str], message: str
) -> None:
    response = api_client.get(AUDIT_EVENTS, query, headers=staff_headers)

    assert_envelope(response, 400, "validation_error", {"trace_id": message})


def test_a_non_staff_user_is_forbidden_before_the_trace_id_is_even_read(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    assert_envelope(api_client.get(AUDIT_EVENTS, headers=demo_headers), 403, "forbidden")


def test_the_endpoint_follows_the_tokens_workspace_policy_like_any_other_view(
    api_client: Client, staff_user: Any, demo_workspace: Workspace, acme_requires_mfa: Any
) -> None:
    password_only = _bearer(staff_user, demo_workspace, amr=("pwd",))

    response = api_client.get(AUDIT_EVENTS, {"trace_id": "0b9c0c2e-5f7e"}, headers=password_only)

    assert_envelope(response, 403, "mfa_required")


# Transactional: /auth/token is a non-atomic view, and DRF's set_rollback() on its 401 would otherwise mark the
# test's own transaction for rollback, so nothing after it (the audit write included) could touch the database.
@pytest.mark.django_db(transaction=True)
def test_no_password_otp_code_bearer_token_subject_token_or_query_secret_reaches_the_audit_trail(
    api_client: Client, demo_user: Any, demo_token: str, demo_other_workspace: Workspace
) -> None:
    wrong_password, otp, subject_token = "wr0ng-Password-577", "48021357", sso.issue("mallory")
    forged_bearer, query_secret = "clk_forged_0123456789abcdef", "qs-Secret-99"

    def grant(password: str, code: str) -> Any:
        body = {"username": "alice", "password": password, "workspace": "acme", "otp": code}
        return api_client.post(f"/auth/token?api_key={query_secret}", body, content_type="application/json")

    statuses = [
        grant(wrong_password, otp).status_code,
        grant("demo-password", otp).status_code,  # the right password with a code no device accepts
        api_client.post(
            "/auth/exchange", {"subject_token": subject_token, "workspace": "acme"}, content_type="application/json"
        ).status_code,
        api_client.get(
            f"/api/issues?access_token={query_secret}", headers={"Authorization": f"Bearer {forged_bearer}"}
        ).status_code,
        api_client.get(
            f"/api/issues/iss_00000000?token={demo_token}",
            headers={"Authorization": f"Bearer {demo_token}", "X-Workspace": "globex"},  # not the token's own
        ).status_code,
    ]

    assert statuses == [401, 401, 401, 401, 403]
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert actions == {"auth.unauthorized", "auth.invalid_grant", "auth.forbidden"}
    dump = "\n".join(json.dumps(row, cls=DjangoJSONEncoder) for row in AuditEvent.objects.values())
    assert "/auth/token" in dump and "/auth/exchange" in dump
    for secret in (wrong_password, "demo-password", otp, subject_token, forged_bearer, demo_token, query_secret):
        assert secret not in dump, secret
