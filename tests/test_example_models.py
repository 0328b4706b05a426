"""The example API's models: their invariants, managers and names."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from example_project.demo import tokens
from example_project.demo.models import (
    ApiToken,
    Connector,
    Issue,
    Membership,
    ServiceAccount,
    Workspace,
    new_issue_id,
)

pytestmark = pytest.mark.django_db


def test_issue_ids_are_iss_and_eight_lowercase_base36_characters() -> None:
    ids = {new_issue_id() for _ in range(200)}

    assert all(re.fullmatch(r"iss_[0-9a-z]{8}", value) for value in ids)
    assert len(ids) == 200


def test_an_issue_gets_a_public_id_when_created(demo_workspace: Workspace) -> None:
    issue = Issue.objects.create(workspace=demo_workspace, title="Checkout is slow")

    assert re.fullmatch(r"iss_[0-9a-z]{8}", issue.public_id)
    assert str(issue) == f"{issue.public_id} Checkout is slow"


def test_issues_are_listed_per_workspace_newest_first(
    demo_workspace: Workspace, demo_other_workspace: Workspace
) -> None:
    first = Issue.objects.create(workspace=demo_workspace, title="first")
    second = Issue.objects.create(workspace=demo_workspace, title="second")
    Issue.objects.create(workspace=demo_other_workspace, title="elsewhere")

    assert list(Issue.objects.in_workspace(demo_workspace)) == [second, first]
    assert Issue.objects.find(demo_workspace, first.public_id) == first
    assert Issue.objects.find(demo_other_workspace, first.public_id) is None


@pytest.mark.parametrize(
    "create",
    [
        pytest.param(lambda ws, user: Workspace.objects.create(slug=ws.slug, name="again"), id="workspace-slug"),
        pytest.param(lambda ws, user: Membership.objects.create(user=user, workspace=ws), id="membership"),
        pytest.param(lambda ws, user: ServiceAccount.objects.create(workspace=ws, name="bot"), id="service-account"),
        pytest.param(lambda ws, user: Connector.objects.create(workspace=ws, name="gh", type="github"), id="connector"),
        pytest.param(lambda ws, user: Issue.objects.create(workspace=ws, title="x", severity="urgent"), id="severity"),
    ],
)
def test_constraints_hold_in_the_database(demo_workspace: Workspace, demo_user: Any, create: Any) -> None:
    ServiceAccount.objects.create(workspace=demo_workspace, name="bot")
    Connector.objects.create(workspace=demo_workspace, name="gh", type="github")

    with pytest.raises(IntegrityError), transaction.atomic():
        create(demo_workspace, demo_user)


def test_a_token_scope_outside_the_choices_is_refused_by_the_database(
    demo_user: Any, demo_workspace: Workspace
) -> None:
    token = tokens.mint(demo_user, demo_workspace, amr=["pwd"]).token

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(scope="admin")


def test_workspace_of_member_hides_unknown_and_foreign_workspaces_alike(
    demo_user: Any, demo_workspace: Workspace, demo_other_workspace: Workspace
) -> None:
    assert Workspace.objects.of_member(demo_user, "acme") == demo_workspace
    assert Workspace.objects.of_member(demo_user, "globex") is None
    assert Workspace.objects.of_member(demo_user, "nowhere") is None


def test_usable_finds_only_live_tokens_of_active_members(demo_user: Any, demo_workspace: Workspace) -> None:
    minted = tokens.mint(demo_user, demo_workspace, amr=["pwd"])
    digest = tokens.digest(minted.secret)

    assert ApiToken.objects.usable(digest) == minted.token
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ApiToken.objects.usable(digest) is None


def test_a_minted_token_lives_an_hour_and_records_how_it_was_minted(demo_user: Any, demo_workspace: Workspace) -> None:
    before = timezone.now()
    minted = tokens.mint(demo_user, demo_workspace, amr=["sso"], scope="read")

    token = ApiToken.objects.get()
    assert minted.secret.startswith("clk_")
    assert token.amr == ["sso"]
    assert token.scope == "read"
    assert token.is_service_account is False
    assert before + timedelta(hours=1) <= token.expires_at <= timezone.now() + timedelta(hours=1)
    assert minted.grant() == {
        "access_token": minted.secret,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "read",
    }


def test_a_connector_is_stored_without_its_api_key(demo_workspace: Workspace) -> None:
    connector = Connector.objects.create_without_secrets(
        workspace=demo_workspace, name="gh", type="github", config={"api_key": "secret", "org": "acme"}
    )

    connector.refresh_from_db()
    assert connector.config == {"org": "acme"}


def test_every_model_names_itself(demo_user: Any, demo_workspace: Workspace) -> None:
    token = tokens.mint(demo_user, demo_workspace, amr=["pwd"]).token

    assert str(demo_workspace) == "acme"
    assert str(Membership.objects.get()) == "alice in acme"
    assert str(token) == "read_write token of alice in acme"
    assert str(ServiceAccount.objects.create(workspace=demo_workspace, name="bot")) == "bot in acme"
    assert (
        str(Connector.objects.create(workspace=demo_workspace, name="gh", type="github"))
        == "github connector gh in acme"
    )
