"""The Causeloop style (the default): every example body of ``000_…``, and the envelope unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework import exceptions as drf

from causeloop_errors import trace
from causeloop_errors.conversion import from_exception
from causeloop_errors.envelope import build_body
from causeloop_errors.exceptions import Conflict, NotFound, RateLimited
from causeloop_errors.responses import render
from causeloop_errors.styles import configured_style
from causeloop_errors.styles.causeloop import CauseloopStyle
from tests import style_support
from tests.contract import is_uuid
from tests.style_support import Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style


def test_the_default_style_is_the_causeloop_envelope() -> None:
    assert isinstance(configured_style(), CauseloopStyle)


def test_error_response_shape_example(raised: Raise) -> None:
    # 000_d0ba5bba1cda5aac.txt, lines 6-15
    expected = {
        "error": {
            "code": "not_found",
            "message": "Issue iss_01abc123 not found",
            "trace_id": "7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c",
            "details": {"id": "iss_01abc123"},
        }
    }
    response = raised(lambda: NotFound("Issue iss_01abc123 not found", details={"id": "iss_01abc123"}))
    got = body(response)
    assert response.status_code == 404 and is_uuid(got["error"]["trace_id"])
    assert got == _with_trace_id(expected, got["error"]["trace_id"])


def test_validation_errors_example(raised: Raise) -> None:
    # 000_d0ba5bba1cda5aac.txt, lines 61-71
    expected = {
        "error": {
            "code": "validation_error",
            "message": "Request validation failed",
            "trace_id": "7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c",
            "details": {"title": "field required", "severity": "value is not a valid enumeration member"},
        }
    }
    detail = {"title": ["field required"], "severity": ["value is not a valid enumeration member"]}
    response = raised(lambda: drf.ValidationError(detail))
    got = body(response)
    assert response.status_code == 400
    assert got == _with_trace_id(expected, got["error"]["trace_id"])


@pytest.mark.parametrize(
    "exc",
    [
        Conflict(details={"name": "taken"}),
        RateLimited(retry_after=2.2),
        drf.ValidationError({"a": {"b": ["bad"]}}),
        drf.AuthenticationFailed(),
        RuntimeError("boom"),
    ],
    ids=["conflict", "rate_limited", "validation", "unauthorized", "crash"],
)
def test_the_body_is_byte_for_byte_what_build_body_made_before_styles(exc: Exception) -> None:
    failure = from_exception(exc)
    token = trace.set_trace_id("7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c")
    try:
        response = render(failure)
    finally:
        trace.reset_trace_id(token)
    before = build_body(failure, "7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c")
    assert response.content == json.dumps(before, ensure_ascii=False, separators=(",", ":")).encode()
    assert response["Content-Type"] == "application/json"
    assert response["X-Request-Id"] == "7f3a1b2c-4d5e-6f7a-8b9c-0d1e2f3a4b5c"


def test_a_resource_never_shows_in_the_causeloop_envelope(raised: Raise) -> None:
    got = body(raised(lambda: NotFound(resource="user")))
    assert got["error"]["code"] == "not_found" and "user" not in str(got)


def _with_trace_id(expected: dict[str, Any], trace_id: str) -> dict[str, Any]:
    return {"error": {**expected["error"], "trace_id": trace_id}}
