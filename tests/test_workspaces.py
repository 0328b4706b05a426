"""Resolving the workspace of a request, and validating workspace keys."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory, override_settings

from causeloop_errors import workspaces
from causeloop_errors.exceptions import NotFound, ValidationError

WORKSPACES = {"WORKSPACE_MODEL": "auth.Group", "WORKSPACE_KEY_FIELD": "name"}

pytestmark = [pytest.mark.usefixtures("app_defaults")]


def _request(
    headers: dict[str, str] | None = None, kwargs: dict[str, str] | None = None, token: object = None
) -> object:
    request = RequestFactory().get("/api/x", headers=headers or {})
    request.resolver_match = SimpleNamespace(kwargs=kwargs or {})  # type: ignore[assignment]
    request.auth = token  # type: ignore[attr-defined]
    return request


def test_default_resolver_order_is_url_kwarg_then_header_then_token() -> None:
    token = SimpleNamespace(workspace_key="from-token")
    assert workspaces.resolve_workspace(_request({"X-Workspace": "h"}, {"workspace": "k"}, token)) == "k"
    assert workspaces.resolve_workspace(_request({"X-Workspace": "h"}, {}, token)) == "h"
    assert workspaces.resolve_workspace(_request({}, {}, token)) == "from-token"
    assert workspaces.resolve_workspace(_request()) is None


@override_settings(CAUSELOOP_ERRORS={"WORKSPACE_RESOLVER": "tests.test_workspaces.always_initech"})
def test_resolver_is_replaceable_by_a_setting() -> None:
    assert workspaces.workspace_of(_request({"X-Workspace": "acme"})) == "initech"


def always_initech(request: object) -> str:
    return "initech"


@pytest.mark.parametrize("bad", ["", "has space", "-leading", "a" * 101, "ünï", "a/b"])
def test_malformed_keys_raise_validation_error(bad: str) -> None:
    with pytest.raises(ValidationError) as raised:
        workspaces.workspace_of(_request({"X-Workspace": bad}))
    assert raised.value.details == {"workspace": "Not a well-formed workspace key."}


@pytest.mark.django_db
@override_settings(CAUSELOOP_ERRORS=WORKSPACES)
def test_unknown_key_raises_not_found_only_when_a_workspace_model_is_named() -> None:
    with pytest.raises(NotFound):
        workspaces.workspace_of(_request({"X-Workspace": "ghost"}))
    Group.objects.create(name="ghost")
    assert workspaces.workspace_of(_request({"X-Workspace": "ghost"})) == "ghost"


def test_without_a_workspace_model_any_well_formed_key_is_accepted() -> None:
    assert workspaces.workspace_of(_request({"X-Workspace": "anything"})) == "anything"
    assert workspaces.key_problem("anything") is None


@pytest.mark.django_db
@override_settings(CAUSELOOP_ERRORS=WORKSPACES)
def test_known_keys_are_remembered_so_later_requests_cost_no_query(django_assert_num_queries: object) -> None:
    Group.objects.create(name="remembered")
    workspaces.workspace_of(_request({"X-Workspace": "remembered"}))
    with django_assert_num_queries(0):  # type: ignore[operator]
        workspaces.workspace_of(_request({"X-Workspace": "remembered"}))


@pytest.mark.django_db
@override_settings(CAUSELOOP_ERRORS=WORKSPACES)
def test_choices_list_the_host_workspaces() -> None:
    Group.objects.create(name="b")
    Group.objects.create(name="a")
    assert workspaces.choices() == [("a", "a"), ("b", "b")]
    with override_settings(CAUSELOOP_ERRORS={}):
        assert workspaces.choices() == []
