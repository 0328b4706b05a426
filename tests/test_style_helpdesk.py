"""The helpdesk style: every example body of ``004_…``, its default messages, meta and pacing headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework import exceptions as drf

from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.exceptions import Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from tests import style_support
from tests.style_support import REQ_ID, TIMESTAMP, Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style


@pytest.fixture(autouse=True)
def helpdesk(use_style: Any) -> None:
    use_style("helpdesk")


def _normalised(got: dict[str, Any]) -> dict[str, Any]:
    """Return ``got`` with its request id and timestamp replaced by the document's, after checking their format."""
    meta = got["meta"]
    assert REQ_ID.fullmatch(meta["requestId"]) and TIMESTAMP.fullmatch(meta["timestamp"])
    return {**got, "meta": {"requestId": "req_abc123", "timestamp": "2025-12-14T10:30:00Z"}}


def test_error_response_format_example(raised: Raise) -> None:
    # 004_efcef3e9a232dab6.txt, lines 4-15
    expected = {
        "success": False,
        "error": {
            "code": "VALIDATION_ERROR",
            "message": "The 'priority' field must be one of: low, normal, high, critical",
            "field": "priority",
        },
        "meta": {"requestId": "req_abc123", "timestamp": "2025-12-14T10:30:00Z"},
    }
    message = "The 'priority' field must be one of: low, normal, high, critical"
    response = raised(lambda: drf.ValidationError({"priority": [message]}))
    assert (response.status_code, _normalised(body(response))) == (400, expected)


@pytest.mark.parametrize(
    ("expected", "detail"),
    [
        # 004_efcef3e9a232dab6.txt, line 60
        (
            {"code": "VALIDATION_ERROR", "message": "title is required", "field": "title"},
            {"title": ["title is required"]},
        ),
        # 004_efcef3e9a232dab6.txt, line 61
        (
            {
                "code": "VALIDATION_ERROR",
                "message": "priority must be one of: low, normal, high, critical",
                "field": "priority",
            },
            {"priority": ["priority must be one of: low, normal, high, critical"]},
        ),
        # 004_efcef3e9a232dab6.txt, line 62
        (
            {"code": "VALIDATION_ERROR", "message": "email is not a valid email address", "field": "email"},
            {"email": ["email is not a valid email address"]},
        ),
    ],
    ids=["title", "priority", "email"],
)
def test_validation_example_errors(raised: Raise, expected: dict[str, Any], detail: dict[str, Any]) -> None:
    response = raised(lambda: drf.ValidationError(detail))
    assert (response.status_code, body(response)["error"]) == (400, expected)


def test_rate_limited_example(raised: Raise) -> None:
    # 004_efcef3e9a232dab6.txt, lines 74-78
    expected = {"code": "RATE_LIMITED", "message": "Rate limit exceeded. Try again in 42 seconds.", "retryAfter": 42}
    response = raised(lambda: RateLimited(retry_after=42))
    assert (response.status_code, body(response)["error"]) == (429, expected)
    assert response["Retry-After"] == "42"


@pytest.mark.parametrize(
    ("make", "status", "expected"),
    [
        # 004_efcef3e9a232dab6.txt, line 18
        (Unauthorized, 401, {"code": "UNAUTHORIZED", "message": "Missing or invalid API key"}),
        # line 30
        (Forbidden, 403, {"code": "FORBIDDEN", "message": "API key lacks required permissions"}),
        # line 40
        (NotFound, 404, {"code": "NOT_FOUND", "message": "Resource doesn't exist"}),
        # line 80
        (Conflict, 409, {"code": "CONFLICT", "message": "Resource already exists or state conflict"}),
        # line 90
        (lambda: RuntimeError("boom"), 500, {"code": "SERVER_ERROR", "message": "Internal server error"}),
    ],
    ids=["401", "403", "404", "409", "500"],
)
def test_each_codes_documented_message_is_its_default(
    raised: Raise, make: Callable[[], Exception], status: int, expected: dict[str, Any]
) -> None:
    response = raised(make)
    assert (response.status_code, body(response)["error"]) == (status, expected)


def test_a_raised_message_is_kept(raised: Raise) -> None:
    assert body(raised(lambda: NotFound("Ticket T-1 doesn't exist")))["error"]["message"] == "Ticket T-1 doesn't exist"


def test_the_first_field_is_named_and_with_several_none_is_lost(raised: Raise) -> None:
    detail = {"customer": {"email": ["bad email"]}, "title": ["required"]}
    assert body(raised(lambda: drf.ValidationError(detail)))["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "bad email",
        "field": "customer.email",
        "details": {"customer.email": "bad email", "title": "required"},
    }


def test_a_single_invalid_field_is_the_documents_shape_alone(raised: Raise) -> None:
    assert body(raised(lambda: drf.ValidationError({"title": ["title is required"]})))["error"] == {
        "code": "VALIDATION_ERROR",
        "message": "title is required",
        "field": "title",
    }


def test_malformed_json_names_no_field(api_client: Client) -> None:
    response = api_client.post("/api/styles/raise", "{", content_type="application/json")
    assert body(response)["error"] == {"code": "VALIDATION_ERROR", "message": "Malformed request body."}


def test_request_id_is_the_trace_id_of_the_audit_event(raised: Raise) -> None:
    response = raised(lambda: Forbidden())
    request_id = body(response)["meta"]["requestId"]
    assert request_id == response["X-Request-Id"] == AuditEvent.objects.get().trace_id


def test_rate_limit_rules_keep_their_pacing_headers(api_client: Client, rate_limit_rule: Any) -> None:
    # 004_efcef3e9a232dab6.txt, line 70: X-RateLimit-Remaining
    rate_limit_rule("styles-ip", "1/m", path_prefix="/api/styles/")
    assert api_client.get("/api/styles/ok")["X-RateLimit-Remaining"] == "0"
    refused = api_client.get("/api/styles/ok")
    error = body(refused)["error"]
    assert (refused.status_code, error["code"], refused["X-RateLimit-Remaining"]) == (429, "RATE_LIMITED", "0")
    assert error["retryAfter"] == int(refused["Retry-After"]) >= 1
    assert error["details"] == {"rule": "styles-ip", "limit": 1, "window_seconds": 60}
