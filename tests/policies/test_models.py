"""The policy model: invariants in the database and in validation, and its string form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from causeloop_errors.policies.models import WorkspacePolicy

pytestmark = pytest.mark.django_db


def test_str_names_the_workspace_or_the_default() -> None:
    assert str(WorkspacePolicy(workspace_key="acme")) == "acme"
    assert str(WorkspacePolicy(workspace_key="")) == "(default for all workspaces)"


def test_one_policy_per_workspace_and_one_default_is_a_database_constraint() -> None:
    WorkspacePolicy.objects.create(workspace_key="")
    with pytest.raises(IntegrityError):
        WorkspacePolicy.objects.create(workspace_key="")


def test_grace_date_without_mfa_is_refused_by_the_database_too() -> None:
    with pytest.raises(IntegrityError):
        WorkspacePolicy.objects.create(workspace_key="acme", mfa_enforced_from=timezone.now())


def test_clean_explains_inconsistent_values() -> None:
    policy = WorkspacePolicy(workspace_key="bad key", mfa_enforced_from=timezone.now())
    with pytest.raises(ValidationError) as raised:
        policy.full_clean()
    assert raised.value.message_dict["workspace_key"] == ["Not a well-formed workspace key."]
    assert "Require MFA" in raised.value.message_dict["mfa_enforced_from"][0]


def test_for_key_prefers_the_workspaces_own_policy() -> None:
    default = WorkspacePolicy.objects.create(workspace_key="", require_sso=True)
    own = WorkspacePolicy.objects.create(workspace_key="acme")
    assert WorkspacePolicy.objects.for_key("acme") == own
    assert WorkspacePolicy.objects.for_key("globex") == default
