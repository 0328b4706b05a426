"""Checks W005 (rate-limit app), W006 and W007 (policy app): what is saved in the admin but cannot be enforced."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import CheckMessage

from causeloop_errors.policies import checks as policy_checks
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.ratelimits import checks as rule_checks
from causeloop_errors.ratelimits.models import RateLimitRule

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.urls")]


def check_enforcement() -> list[CheckMessage]:
    return rule_checks.check_enforcement() + policy_checks.check_enforcement()


def _ids() -> list[str]:
    return [message.id or "" for message in check_enforcement()]


def _without(settings: Any, key: str, dotted: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        key: [item for item in settings.REST_FRAMEWORK.get(key, []) if item != dotted],
    }


def test_nothing_is_said_when_every_saved_object_is_enforced() -> None:
    RateLimitRule.objects.create(name="per-user", rate="5/m", key="user")
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)

    assert _ids() == []


def test_a_user_keyed_rule_without_the_throttle_anywhere_is_w005(settings: Any) -> None:
    _without(settings, "DEFAULT_THROTTLE_CLASSES", rule_checks.THROTTLE)
    settings.ROOT_URLCONF = "tests.urls_unwired"
    RateLimitRule.objects.create(name="per-user", rate="5/m", key="user")

    [warning] = check_enforcement()

    assert warning.id == "causeloop_errors.W005"
    assert "per-user" in warning.msg and rule_checks.THROTTLE in (warning.hint or "")


def test_an_ip_rule_needs_no_throttle(settings: Any) -> None:
    _without(settings, "DEFAULT_THROTTLE_CLASSES", rule_checks.THROTTLE)
    settings.ROOT_URLCONF = "tests.urls_unwired"
    RateLimitRule.objects.create(name="per-ip", rate="5/m", key="ip")  # counted by the middleware

    assert _ids() == []


def test_a_view_carrying_the_throttle_is_enough(settings: Any) -> None:
    _without(settings, "DEFAULT_THROTTLE_CLASSES", rule_checks.THROTTLE)  # tests.urls has views that carry it
    RateLimitRule.objects.create(name="per-user", rate="5/m", key="user")

    assert _ids() == []


def test_a_policy_without_the_permission_anywhere_is_w006(settings: Any) -> None:
    _without(settings, "DEFAULT_PERMISSION_CLASSES", policy_checks.PERMISSION)
    settings.ROOT_URLCONF = "tests.urls_unwired"
    WorkspacePolicy.objects.create(workspace_key="acme", require_sso=True)

    [warning] = check_enforcement()

    assert warning.id == "causeloop_errors.W006" and "acme" in warning.msg


def test_a_plain_view_decorated_with_enforce_workspace_policy_is_enough(settings: Any) -> None:
    _without(settings, "DEFAULT_PERMISSION_CLASSES", policy_checks.PERMISSION)  # tests.urls has a decorated view
    WorkspacePolicy.objects.create(workspace_key="acme", require_sso=True)

    assert "causeloop_errors.W006" not in _ids()


def test_an_mfa_policy_without_django_otp_is_w007(settings: Any) -> None:
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if not app.startswith("django_otp")]
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)

    assert "causeloop_errors.W007" in _ids()


def test_an_unreadable_database_says_nothing_here(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(RateLimitRule.objects, "filter", down)

    assert _ids() == []
