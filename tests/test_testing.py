"""The test helpers shipped for host projects: assertions, fixtures, the URL contract check, the unittest mixin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client, SimpleTestCase, TestCase, override_settings
from rest_framework.test import APIClient

import causeloop_errors.testing
from causeloop_errors.testing import (
    ErrorContractMixin,
    assert_error_envelope,
    assert_not_error_envelope,
    assert_url_contract,
    check_url_contract,
)
from causeloop_errors.testing.routes import api_routes

BROKEN = "tests.urls_contract_broken"
NOT_FOUND = {"id": "iss_01abc123"}


def _json_response(body: Any, status: int = 404, request_id: str | None = "t-1", **kwargs: Any) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json", **kwargs)
    if request_id is not None:
        response["X-Request-Id"] = request_id
    return response


def _error(**members: Any) -> dict[str, Any]:
    return {"error": {"code": "not_found", "message": "Gone.", "trace_id": "t-1", **members}}


@pytest.fixture
def not_found(client: Client, db: None) -> Any:
    """Return a real 404 envelope with details, from a DRF view."""
    return client.get("/api/raise/api_not_found")


# assert_error_envelope


@pytest.mark.urls("tests.urls")
def test_assert_error_envelope_returns_the_error_member_of_a_real_envelope(not_found: Any) -> None:
    error = assert_error_envelope(not_found, 404, "not_found", NOT_FOUND, message="Issue iss_01abc123 not found")

    assert error["trace_id"] == not_found["X-Request-Id"]
    assert error["details"] == NOT_FOUND


@pytest.mark.urls("tests.urls")
@pytest.mark.django_db
def test_assert_error_envelope_accepts_drf_api_client_responses(api_error_client: APIClient) -> None:
    response = api_error_client.get("/api/raise/crash")

    assert_error_envelope(response, 500, "internal_error")


def test_assert_error_envelope_accepts_a_plain_http_response() -> None:
    assert_error_envelope(_json_response(_error()), 404, "not_found", None)


@pytest.mark.urls("tests.urls")
def test_assert_error_envelope_fails_on_a_wrong_status_and_shows_the_body(not_found: Any) -> None:
    with pytest.raises(AssertionError, match=r"expected status 400, got 404(.|\n)*body: .*iss_01abc123"):
        assert_error_envelope(not_found, 400, "not_found")


@pytest.mark.urls("tests.urls")
def test_assert_error_envelope_fails_on_a_wrong_code(not_found: Any) -> None:
    with pytest.raises(AssertionError, match="expected code 'conflict', got 'not_found'"):
        assert_error_envelope(not_found, 404, "conflict")


@pytest.mark.urls("tests.urls")
@pytest.mark.django_db
def test_assert_error_envelope_fails_on_an_html_body(client: Client) -> None:
    page = client.get("/pages/raise/http404")  # outside the API prefixes: Django's HTML page
    assert page.status_code == 404

    with pytest.raises(AssertionError, match="not JSON"):
        assert_error_envelope(page, 404, "not_found")


@pytest.mark.urls("tests.urls")
def test_assert_error_envelope_fails_when_trace_id_differs_from_the_header(not_found: Any) -> None:
    not_found["X-Request-Id"] = "another-request"

    with pytest.raises(AssertionError, match="differs from X-Request-Id 'another-request'"):
        assert_error_envelope(not_found, 404, "not_found")


@pytest.mark.urls("tests.urls")
def test_assert_error_envelope_fails_without_x_request_id(not_found: Any) -> None:
    del not_found["X-Request-Id"]

    with pytest.raises(AssertionError, match="no X-Request-Id"):
        assert_error_envelope(not_found, 404, "not_found")


@pytest.mark.urls("tests.urls")
@pytest.mark.parametrize("details", [{"id": "iss_other"}, {}, None])
def test_assert_error_envelope_fails_on_wrong_details(not_found: Any, details: Any) -> None:
    with pytest.raises(AssertionError, match="expected details"):
        assert_error_envelope(not_found, 404, "not_found", details)


@pytest.mark.urls("tests.urls")
@pytest.mark.django_db
def test_assert_error_envelope_checks_message_and_headers(client: Client) -> None:
    limited = client.get("/api/raise/api_rate_limited")

    assert_error_envelope(limited, 429, "rate_limited", headers={"Retry-After": "3"})
    with pytest.raises(AssertionError, match="expected header Retry-After: '60'"):
        assert_error_envelope(limited, 429, "rate_limited", headers={"Retry-After": "60"})
    with pytest.raises(AssertionError, match="expected message"):
        assert_error_envelope(limited, 429, "rate_limited", message="Slow down.")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([], "not a JSON object"),
        ({"error": _error()["error"], "data": None}, "exactly one member"),
        ({"detail": "Not found."}, "exactly one member"),
        (_error(message=""), "error.message must be a non-empty string"),
        ({"error": {"code": "not_found", "trace_id": "t-1"}}, r"lacks \['message'\]"),
        (_error(hint="retry"), r"outside the contract: \['hint'\]"),
        (_error(details={}), "non-empty object"),
        (_error(details=["id"]), "non-empty object"),
    ],
)
def test_assert_error_envelope_fails_on_bodies_outside_the_contract(body: Any, reason: str) -> None:
    with pytest.raises(AssertionError, match=reason):
        assert_error_envelope(_json_response(body), 404, "not_found")


def test_assert_error_envelope_fails_on_json_content_type_with_a_body_that_is_not_json() -> None:
    response = HttpResponse(b"<html>", status=404, content_type="application/json")

    with pytest.raises(AssertionError, match="not valid JSON"):
        assert_error_envelope(response, 404, "not_found")


def test_assert_error_envelope_reads_the_body_with_the_shape_it_is_given() -> None:
    nested = _json_response({"errors": [_error()["error"]]})

    def first_of_errors(body: Any) -> dict[str, Any]:
        assert isinstance(body.get("errors"), list) and body["errors"], "no errors list"
        return dict(body["errors"][0])

    assert assert_error_envelope(nested, 404, "not_found", shape=first_of_errors)["message"] == "Gone."
    with pytest.raises(AssertionError, match="exactly one member"):
        assert_error_envelope(nested, 404, "not_found")


@pytest.mark.urls("tests.urls")
def test_assert_not_error_envelope_passes_on_success_and_fails_on_an_envelope(client: Client, not_found: Any) -> None:
    assert_not_error_envelope(client.get("/api/ok"))

    with pytest.raises(AssertionError, match="is an error envelope"):
        assert_not_error_envelope(not_found)


# the plugin and its fixtures


def test_plugin_is_registered_through_its_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("causeloop_errors")

    assert plugin is not None
    assert plugin.__name__ == "causeloop_errors.testing.pytest_plugin"


@pytest.mark.urls("tests.urls")
@pytest.mark.django_db
def test_error_client_answers_a_crash_with_the_500_envelope_instead_of_raising(error_client: Client) -> None:
    assert_error_envelope(error_client.get("/api/plain/raise/crash"), 500, "internal_error")
    with pytest.raises(RuntimeError):
        Client().get("/api/plain/raise/crash")  # what the default client does


def _rule_names() -> set[str]:
    from causeloop_errors.ratelimits.store import store

    return {rule.name for rule in store.rules()}


@pytest.mark.django_db
def test_a_rule_saved_in_a_test_that_never_commits_is_seen_at_once() -> None:
    from causeloop_errors.ratelimits.models import RateLimitRule

    assert "host-test-rule" not in _rule_names()  # the snapshot is read, as after a first request
    RateLimitRule.objects.create(name="host-test-rule", rate="5/m", key="ip", path_prefix="/api/")
    assert "host-test-rule" in _rule_names()  # no commit, no on_commit bump: the save itself reloads here


@pytest.mark.django_db
def test_the_plugin_forgets_snapshots_a_rolled_back_test_left(
    request: pytest.FixtureRequest, django_capture_on_commit_callbacks: Any
) -> None:
    from causeloop_errors.ratelimits.models import RateLimitRule
    from causeloop_errors.versioning import forget_snapshots

    assert "_causeloop_errors_fresh_snapshots" in request.fixturenames  # autouse, from the plugin
    with django_capture_on_commit_callbacks(execute=True):  # as committed: the store keeps what it reads
        RateLimitRule.objects.create(name="rolled-back", rate="5/m", key="ip", path_prefix="/api/")
    assert "rolled-back" in _rule_names()
    RateLimitRule.objects.filter(name="rolled-back")._raw_delete(RateLimitRule.objects.db)  # as a rollback: no signal
    assert "rolled-back" in _rule_names()  # the snapshot outlives its row ...
    forget_snapshots()  # ... until the plugin's fixture forgets it, before and after every test
    assert "rolled-back" not in _rule_names()


def test_api_error_client_is_drf_api_client(api_error_client: APIClient) -> None:
    assert isinstance(api_error_client, APIClient)
    assert api_error_client.raise_request_exception is False


def test_package_exports_load_on_first_use_and_unknown_names_fail() -> None:
    assert causeloop_errors.testing.check_url_contract is check_url_contract
    with pytest.raises(AttributeError, match="no_such_helper"):
        causeloop_errors.testing.no_such_helper  # noqa: B018


def test_plugin_loads_in_a_project_without_django_settings(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_plugin_loaded_without_touching_django(pytestconfig):
                assert pytestconfig.pluginmanager.has_plugin("causeloop_errors")
                assert "causeloop_errors.models" not in sys.modules
                assert "django.test" not in sys.modules

            def test_error_client_skips_without_settings(error_client):
                raise AssertionError("unreachable")
            """
        )
    )
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "test_plain.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout, run.stdout
    assert "no Django settings" in run.stdout, run.stdout


# the URL contract check


@pytest.mark.urls("example_project.urls")
@pytest.mark.django_db(transaction=True)  # like a server: /auth/token's non-atomic 4xx would spoil a test transaction
def test_example_project_keeps_the_url_contract(error_client: Client) -> None:
    assert len(api_routes(("/api/", "/auth/"))) >= 11

    assert_url_contract(error_client)


@pytest.mark.urls("example_project.urls")
@pytest.mark.django_db(transaction=True)
def test_example_project_keeps_the_url_contract_for_an_authenticated_client(
    api_error_client: APIClient, demo_token: str
) -> None:
    api_error_client.credentials(HTTP_AUTHORIZATION=f"Bearer {demo_token}")

    problems = check_url_contract(api_error_client)

    # Starting a TOTP enrollment is a POST without a body, so it accepts any media type: reported, not a failure.
    assert [(p.check, p.path, p.status) for p in problems] == [("unsupported_media_type", "/api/me/mfa/totp", 201)]
    # authenticated, the views are reached: the 415 is theirs, not a 401 in front of them
    response = api_error_client.post("/api/issues", b"<issue/>", content_type="application/xml")
    assert_error_envelope(response, 415, "unsupported_media_type")


@pytest.mark.urls("tests.urls")
@pytest.mark.django_db(transaction=True)
def test_every_failure_on_the_test_urlconf_is_an_envelope(error_client: Client) -> None:
    problems = check_url_contract(error_client)

    # The test views answer any method, ignore their bodies or raise by name; those answers are reported, but
    # every failure among them must still be an envelope.
    assert [str(p) for p in problems if p.status >= 400 and not p.envelope] == []
    assert {p.template for p in problems} >= {"/api/plain/ok"}  # a plain view answering 200 to any method


@pytest.mark.urls(BROKEN)
@pytest.mark.django_db
def test_url_contract_reports_routes_that_break_it(error_client: Client) -> None:
    problems = check_url_contract(error_client)

    assert {(p.check, p.template, p.status) for p in problems} == {
        ("unknown_method", "/api/any-method", 200),
        ("unsupported_media_type", "/api/ignores-body", 201),
        ("unknown_method", "/api/files/<path:name>", 200),
        ("unknown_subpath", "/api/files/<path:name>", 200),
    }
    with pytest.raises(AssertionError, match=r"4 contract problem\(s\)(.|\n)*NOSUCHMETHOD /api/any-method"):
        assert_url_contract(error_client)


@pytest.mark.urls(BROKEN)
@pytest.mark.django_db
def test_url_contract_reports_html_404_and_405_outside_the_middleware(error_client: Client) -> None:
    problems = check_url_contract(error_client, prefixes=["/pages/"])

    assert {(p.check, p.template, p.status, p.envelope) for p in problems} == {
        ("unknown_subpath", "/pages/", 404, False),
        ("unknown_method", "/pages/only-get", 405, False),
        ("unknown_subpath", "/pages/only-get", 404, False),
        ("unknown_method", "/pages/html/<path:name>", 405, False),
        ("unknown_subpath", "/pages/html/<path:name>", 404, False),
    }
    assert all("not JSON" in p.reason for p in problems)


@pytest.mark.urls(BROKEN)
@pytest.mark.django_db
def test_url_contract_skips_globs_and_runs_only_the_checks_asked(error_client: Client) -> None:
    assert check_url_contract(error_client, skip=["/api/any-method", "/api/files/*", "/api/ignores-body"]) == []
    only_media = check_url_contract(error_client, checks=["unsupported_media_type"])
    assert [p.template for p in only_media] == ["/api/ignores-body"]


@pytest.mark.urls(BROKEN)
def test_api_routes_fill_parameters_with_plausible_values() -> None:
    paths = {route.template: route.path for route in api_routes(("/api/",))}

    assert paths["/api/items/<int:pk>"] == "/api/items/1"
    assert paths["/api/v2/things/<uuid:thing_id>/<slug:part>"] == (
        "/api/v2/things/00000000-0000-4000-8000-000000000001/x"
    )
    assert paths["/api/legacy/(?P<pk>[0-9]+)/"] == "/api/legacy/1/"
    assert not any(template.startswith("/api/dated/") for template in paths)  # no sample fits [0-9]{4}
    assert not any(template.startswith("/pages/") for template in paths)


# the unittest mixin


class TestMixinOnSimpleTestCase(ErrorContractMixin, SimpleTestCase):
    def test_assert_error_envelope_passes_and_fails(self) -> None:
        response = _json_response(_error(details={"id": "x"}))

        error = self.assertErrorEnvelope(response, 404, "not_found", {"id": "x"})

        self.assertEqual(error["message"], "Gone.")
        with self.assertRaises(AssertionError):
            self.assertErrorEnvelope(response, 404, "not_found", {"id": "y"})
        with self.assertRaises(AssertionError):
            self.assertNotErrorEnvelope(response)


@override_settings(ROOT_URLCONF=BROKEN)
class TestMixinOnTestCase(ErrorContractMixin, TestCase):
    def test_error_client_answers_with_envelopes(self) -> None:
        self.assertErrorEnvelope(self.error_client().get("/api/good/nope"), 404, "not_found")

    def test_assert_url_contract_fails_on_broken_routes_and_passes_when_they_are_skipped(self) -> None:
        with self.assertRaises(AssertionError):
            self.assertUrlContract()
        self.assertUrlContract(skip=["/api/any-method", "/api/files/*", "/api/ignores-body"])


@pytest.mark.django_db
@pytest.mark.urls("tests.urls_router")
def test_the_url_contract_holds_on_a_standard_default_router_project_with_append_slash(settings: Any) -> None:
    from django.contrib.auth.models import User
    from rest_framework.test import APIClient

    from causeloop_errors.testing import assert_url_contract, check_url_contract
    from causeloop_errors.testing.routes import api_routes

    settings.APPEND_SLASH = True
    settings.CAUSELOOP_ERRORS = {"API_PATH_PREFIXES": ["/api/"]}
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(User.objects.create_user("router-user"))

    problems = check_url_contract(client)

    assert problems == []
    assert_url_contract(client)
    # The format-suffix routes are walked, with a format DRF renders.
    assert "/api/groups.json" in {route.path for route in api_routes(["/api/"])}
