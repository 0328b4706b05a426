"""Defects a review of issues 6 and 7 and the rate-limit hot path found, each fixed; one test per defect."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.test import Client
from django.urls import path

from causeloop_errors.ratelimits.models import RateLimitRule
from causeloop_errors.testing import assert_error_envelope
from tests.conftest import RateLimitClock
from tests.test_asgi import _call as asgi_call

HERE = "tests.test_review_regressions"
Make = Callable[..., RateLimitRule]


def _session_forbidden(request: HttpRequest) -> HttpResponse:
    """A plain view whose answer depends on the session (SessionMiddleware adds ``Vary: Cookie``)."""
    request.session["seen"] = True
    return HttpResponseForbidden("<p>Not yours.</p>")


urlpatterns = [path("api/session-forbidden", _session_forbidden)]


@pytest.fixture
def negotiable(settings: Any) -> Callable[..., None]:
    """Return ``use(style)``: that style, with problem details negotiable."""

    def use(style: str) -> None:
        settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "STYLE": style, "NEGOTIATE_PROBLEM_DETAILS": True}

    return use


# --- rate limits -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.urls")
@pytest.mark.usefixtures("app_defaults")
def test_a_rule_selected_by_view_name_overrides_the_general_ip_rule_on_a_drf_view(
    client: Client, ratelimit_clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    ratelimit_clock.seconds_left("127.0.0.1", 60, 30)
    general = rate_limit_rule("general-ip", "2/m", path_prefix="/api/rl/")
    rate_limit_rule("counted-per-user", "50/m", key="user", view_names="Counted", overrides=general)
    get_user_model().objects.create_user("alice")

    statuses = [client.get("/api/rl/counted", HTTP_AUTHORIZATION="Rl alice 1").status_code for _ in range(4)]

    assert statuses == [200] * 4  # the per-user rule covers these requests, so the 2/m IP rule does not apply


# --- test helpers ----------------------------------------------------------------------------------------------


def test_assert_error_envelope_still_fails_under_python_optimisations() -> None:
    script = textwrap.dedent(
        """
        from django.conf import settings
        settings.configure()
        from django.http import HttpResponse
        from causeloop_errors.testing import assert_error_envelope
        response = HttpResponse(b'{"error": {"code": "forbidden"}}', status=200, content_type="application/json")
        assert_error_envelope(response, 404, "not_found")
        """
    )
    run = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=60)

    assert run.returncode != 0 and "AssertionError" in run.stderr


def _envelope(status: int, code: str) -> HttpResponse:
    body = {"error": {"code": code, "message": "No.", "trace_id": "t-12345678"}}
    if code == "rate_limited":
        body["error"]["details"] = {"retry_after": 30}
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["X-Request-Id"] = "t-12345678"
    return response


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limited"), (401, "unauthorized")])
def test_assert_error_envelope_fails_without_the_statuses_required_header(status: int, code: str) -> None:
    with pytest.raises(AssertionError):
        assert_error_envelope(_envelope(status, code), status, code)


# --- negotiation and problem details ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls(HERE)
def test_a_rewritten_error_keeps_vary_cookie_next_to_vary_accept(
    negotiable: Callable[..., None], api_client: Client
) -> None:
    negotiable("causeloop")

    response = api_client.get("/api/session-forbidden")

    assert response.status_code == 403
    assert {item.strip().lower() for item in response["Vary"].split(",")} >= {"accept", "cookie"}


@pytest.mark.django_db
@pytest.mark.urls(HERE)
def test_problem_instance_is_a_uri_reference(negotiable: Callable[..., None], api_client: Client) -> None:
    negotiable("problem")

    response = api_client.get("/api/no%20such/caf%C3%A9")

    assert response.status_code == 404
    assert json.loads(response.content)["instance"] == "/api/no%20such/caf%C3%A9"


@pytest.mark.django_db
@pytest.mark.urls("tests.urls")
def test_an_asgi_early_refusal_honours_negotiated_problem_details(
    negotiable: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)
    negotiable("causeloop")

    status, headers, content = async_to_sync(asgi_call)(
        "/api/ok", b"q=\xff", headers=[(b"accept", b"application/problem+json")]
    )
    body = json.loads(content)

    assert status == 400 and headers["content-type"] == "application/problem+json"
    assert body["status"] == 400 and body["trace_id"] == headers["x-request-id"]
