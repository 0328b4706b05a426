"""The policy admin as a logged-in superuser: changelist, change form, validation, save, impact."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import Policy, store

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]


WORKSPACES = {"WORKSPACE_MODEL": "auth.Group", "WORKSPACE_KEY_FIELD": "name"}
WITH_MEMBERS = {**WORKSPACES, "WORKSPACE_MEMBERS": "tests.policy_views.group_members"}
CHANGELIST = "/admin/causeloop_policies/workspacepolicy/"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


def _form(**overrides: Any) -> dict[str, Any]:
    data = {"workspace_key": "acme", "exempt_service_accounts": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_changelist_lists_filters_and_searches(admin_client: Client) -> None:
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)
    WorkspacePolicy.objects.create(workspace_key="")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "acme" in page and "globex" in page and "(default for all workspaces)" in page
    assert "By require MFA" in page and "By require SSO" in page
    filtered = admin_client.get(CHANGELIST, {"require_sso__exact": "1"}).content.decode()
    assert "globex" in filtered and ">acme<" not in filtered
    searched = admin_client.get(CHANGELIST, {"q": "acm"}).content.decode()
    assert ">acme<" in searched and "globex" not in searched


def test_saving_the_add_form_creates_a_policy_that_the_next_request_sees(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert store.get("acme") is None
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{CHANGELIST}add/", _form(require_mfa="on"))
    assert response.status_code == 302
    assert store.get("acme") == Policy("acme", require_mfa=True)


def test_unticking_in_the_change_form_takes_effect_on_the_next_request(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    assert store.get("acme") == Policy("acme", require_mfa=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{CHANGELIST}{policy.pk}/change/", _form())
    assert response.status_code == 302
    assert store.get("acme") == Policy("acme")


def test_grace_date_without_mfa_is_rejected_with_a_clear_message(admin_client: Client) -> None:
    response = admin_client.post(
        f"{CHANGELIST}add/", _form(mfa_enforced_from_0="2030-01-01", mfa_enforced_from_1="00:00:00")
    )
    assert response.status_code == 200
    assert "An MFA enforcement date needs “Require MFA” ticked." in response.content.decode()
    assert not WorkspacePolicy.objects.exists()


def test_break_glass_users_without_sso_are_rejected(admin_client: Client) -> None:
    user = User.objects.create_user("carol")
    response = admin_client.post(f"{CHANGELIST}add/", _form(break_glass_users=[user.pk]))
    assert "Break-glass users only make sense when “Require SSO” is ticked." in response.content.decode()
    assert not WorkspacePolicy.objects.exists()


def test_malformed_workspace_key_is_rejected(admin_client: Client) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(workspace_key="not a key!"))
    assert "Not a well-formed workspace key." in response.content.decode()


def test_a_second_policy_for_the_same_workspace_is_rejected(admin_client: Client) -> None:
    WorkspacePolicy.objects.create(workspace_key="acme")
    response = admin_client.post(f"{CHANGELIST}add/", _form())
    assert response.status_code == 200 and WorkspacePolicy.objects.count() == 1


@override_settings(CAUSELOOP_ERRORS=WORKSPACES)
def test_with_a_workspace_model_the_form_offers_its_workspaces_and_rejects_others(admin_client: Client) -> None:
    Group.objects.create(name="acme")
    Group.objects.create(name="globex")
    page = admin_client.get(f"{CHANGELIST}add/").content.decode()
    assert '<option value="acme">acme</option>' in page and '<option value="globex">globex</option>' in page
    response = admin_client.post(f"{CHANGELIST}add/", _form(workspace_key="nosuch"))
    assert response.status_code == 200 and not WorkspacePolicy.objects.exists()
    assert admin_client.post(f"{CHANGELIST}add/", _form(workspace_key="globex")).status_code == 302


@override_settings(CAUSELOOP_ERRORS=WITH_MEMBERS)
def test_change_form_shows_how_many_members_each_requirement_would_block(admin_client: Client) -> None:
    acme = Group.objects.create(name="acme")
    members = [User.objects.create_user(name) for name in ("m1", "m2", "m3")]
    acme.user_set.add(*members)
    User.objects.create_user("outsider")
    TOTPDevice.objects.create(user=members[0], name="phone", confirmed=True)
    TOTPDevice.objects.create(user=members[1], name="pending", confirmed=False)
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_sso=True)
    policy.break_glass_users.add(members[2])
    page = admin_client.get(f"{CHANGELIST}{policy.pk}/change/").content.decode()
    assert "3 members. Require MFA blocks 2 (no confirmed MFA device)." in page
    assert "Require SSO blocks 2 whenever they sign in without SSO" in page


def test_change_form_says_how_to_enable_the_impact_count(admin_client: Client) -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    page = admin_client.get(f"{CHANGELIST}{policy.pk}/change/").content.decode()
    assert "WORKSPACE_MEMBERS" in page


def test_admin_pages_are_not_envelopes(admin_client: Client) -> None:
    assert admin_client.get(f"{CHANGELIST}999/change/").status_code in (302, 404)
    assert not admin_client.get("/admin/nope/")["Content-Type"].startswith("application/json")
