"""Rendering responses: JSON, the request id header, and the envelope marker."""

from __future__ import annotations

import json

from django.http import JsonResponse

from causeloop_errors import trace
from causeloop_errors.conversion import from_exception
from causeloop_errors.exceptions import Conflict
from causeloop_errors.responses import is_envelope, render, render_minimal


def test_render_uses_the_current_trace_id_for_body_and_header() -> None:
    token = trace.set_trace_id("render-trace-1")
    try:
        response = render(from_exception(Conflict(details={"name": "ü"})))
    finally:
        trace.reset_trace_id(token)
    body = json.loads(response.content.decode("utf-8"))
    assert body["error"]["trace_id"] == response["X-Request-Id"] == "render-trace-1"
    assert body["error"]["details"] == {"name": "ü"}
    assert response["Content-Type"] == "application/json"


def test_minimal_envelope_is_a_500_with_a_trace_id() -> None:
    response = render_minimal()
    body = json.loads(response.content)
    assert response.status_code == 500
    assert body["error"]["code"] == "internal_error" and body["error"]["trace_id"] == response["X-Request-Id"]


def test_only_rendered_responses_are_recognised_as_envelopes() -> None:
    assert is_envelope(render_minimal())
    assert not is_envelope(JsonResponse({"error": {"code": "not_found"}}, status=404))
