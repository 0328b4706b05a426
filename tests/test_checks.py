"""System checks: stable ids for missing wiring, unknown names and bad values."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from causeloop_errors import checks, settings_checks

GOOD_MIDDLEWARE = settings.MIDDLEWARE


def _ids(messages: list[Any]) -> list[str]:
    return [message.id for message in messages]


@pytest.mark.django_db  # the checks read the database: E006 (the app's tables), and Django 6.1's JSONField checks
def test_the_example_project_passes_every_check() -> None:
    call_command("check", fail_level="WARNING")
    assert checks.check_exception_handler() == checks.check_middleware() == settings_checks.check_settings() == []


@override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": "rest_framework.views.exception_handler"})
def test_handler_not_configured_is_e001_with_a_hint() -> None:
    [message] = checks.check_exception_handler()
    assert message.id == "causeloop_errors.E001" and checks.HANDLER in message.hint


@override_settings(MIDDLEWARE=GOOD_MIDDLEWARE[1:])
def test_middleware_missing_is_e002() -> None:
    assert _ids(checks.check_middleware()) == ["causeloop_errors.E002"]


@override_settings(MIDDLEWARE=[*GOOD_MIDDLEWARE[1:], GOOD_MIDDLEWARE[0]])
def test_middleware_not_first_is_e003() -> None:
    assert _ids(checks.check_middleware()) == ["causeloop_errors.E003"]


@override_settings(CAUSELOOP_ERRORS={"API_PREFIXES": ["/api/"]})
def test_unknown_setting_name_is_e004_and_lists_the_known_ones() -> None:
    [message] = settings_checks.check_settings()
    assert message.id == "causeloop_errors.E004" and "API_PATH_PREFIXES" in message.hint


@pytest.mark.parametrize(
    "value",
    [
        {"API_PATH_PREFIXES": "/api/"},
        {"API_PATH_PREFIXES": ["api/"]},
        {"TRUST_REQUEST_ID_HEADER": "yes"},
        {"INCLUDE_FIELD_ERRORS": 1},
        {"DEFAULT_RETRY_AFTER": 0},
        {"DEFAULT_RETRY_AFTER": "60"},
        {"WWW_AUTHENTICATE": ""},
        {"CODES": [{"code": "x"}]},
        {"CODES": [{"code": "x", "status": 200, "message": "m"}]},
        {"CODES": [{"code": "x", "status": 402, "message": 5}]},
        {"CODES": [{"code": "not_found", "status": 410, "message": "Gone."}]},
        {"CODES": [{"code": "not_found"}]},
        {"CODES": [{"code": "conflict", "message": ""}]},
        {"CODES": [{"code": "conflict", "description": 5}]},
    ],
)
def test_bad_values_are_e005(value: dict[str, Any]) -> None:
    with override_settings(CAUSELOOP_ERRORS=value):
        assert _ids(settings_checks.check_settings()) == ["causeloop_errors.E005"]


@pytest.mark.parametrize(
    "entry",
    [
        {"code": "not_found", "message": "No such thing here."},
        {"code": "conflict", "status": 409, "description": "A duplicate name."},
        {"code": "rate_limited", "message": "Slow down.", "description": "Too many requests from this IP."},
    ],
)
def test_rewording_a_builtin_code_with_its_own_status_passes_the_checks(entry: dict[str, Any]) -> None:
    with override_settings(CAUSELOOP_ERRORS={"CODES": [entry]}):
        assert settings_checks.check_settings() == []


@override_settings(CAUSELOOP_ERRORS=["not", "a", "dict"])
def test_settings_that_are_not_a_dict_are_e005() -> None:
    assert _ids(settings_checks.check_settings()) == ["causeloop_errors.E005"]


@pytest.mark.parametrize("value", [{"API_PATH_PREFIXES": None}, {"API_PATH_PREFIXES": 5}, {"CODES": None}])
def test_non_iterable_values_are_reported_not_crashed_on(value: dict[str, Any]) -> None:
    with override_settings(CAUSELOOP_ERRORS=value):
        assert _ids(settings_checks.check_settings()) == ["causeloop_errors.E005"]


@override_settings(ROOT_URLCONF="tests.urls_without_error_views")
def test_error_views_not_wired_is_w001_naming_each_handler() -> None:
    [message] = checks.check_error_views()
    assert message.id == "causeloop_errors.W001"
    assert "handler404 = 'causeloop_errors.views.page_not_found'" in message.hint
    assert "handler500" in message.hint


def test_error_views_wired_pass() -> None:
    with override_settings(ROOT_URLCONF="tests.urls"):
        assert checks.check_error_views() == []


@override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": checks.HANDLER})
def test_drf_json_parser_by_default_is_w002() -> None:
    [message] = checks.check_json_parser()
    assert message.id == "causeloop_errors.W002" and checks.PARSER in message.hint


@pytest.mark.parametrize(
    "value",
    [
        {"WORKSPACE_MODEL": "nope.Model"},
        {"WORKSPACE_MODEL": "no-dot"},
        {"WORKSPACE_RESOLVER": "tests.nowhere.resolve"},
        {"AUTH_CONTEXT_RESOLVER": "tests.nowhere.resolve"},
        {"WORKSPACE_MEMBERS": "tests.nowhere.members"},
        {"WORKSPACE_KEY_PATTERN": "[unclosed"},
        {"SSO_BACKENDS": "tests.policy_views.SSOBackend"},
        {"POLICY_CACHE_ALIAS": "nosuch"},
        {"TRUSTED_PROXIES": ["10.0.0.0/8", "not-a-network"]},
        {"TRUSTED_PROXIES": "10.0.0.0/8"},
    ],
)
def test_bad_policy_settings_are_e005(value: dict[str, Any]) -> None:
    with override_settings(CAUSELOOP_ERRORS=value):
        assert _ids(settings_checks.check_settings()) == ["causeloop_errors.E005"]


@pytest.mark.parametrize(
    "value",
    [
        {"AUDIT_CODES": "forbidden"},
        {"AUDIT_DEDUP_SECONDS": 0},
        {"AUDIT_FLUSH_SECONDS": -1},
    ],
)
def test_bad_audit_settings_are_e005_of_the_audit_app(value: dict[str, Any]) -> None:
    from causeloop_errors.audit import checks as audit_checks

    with override_settings(CAUSELOOP_ERRORS=value):
        assert settings_checks.check_settings() == []
        assert _ids(audit_checks.check_settings()) == ["causeloop_errors.E005"]


def test_good_policy_settings_pass() -> None:
    good = {
        "WORKSPACE_MODEL": "auth.Group",
        "WORKSPACE_KEY_FIELD": "name",
        "WORKSPACE_MEMBERS": "tests.policy_views.group_members",
        "SSO_BACKENDS": ["tests.policy_views.SSOBackend"],
    }
    with override_settings(CAUSELOOP_ERRORS=good):
        assert settings_checks.check_settings() == []
