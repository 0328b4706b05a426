"""Turn a ``Failure`` into an HTTP response, and recognise the responses made here."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseBase

from causeloop_errors.envelope import Failure, build_body, minimal_body
from causeloop_errors.trace import current_or_new_trace_id

CONTENT_TYPE = "application/json"
_MARKER = "_causeloop_envelope"
FAILURE_ATTRIBUTE = "_causeloop_failure"
# Headers that components deciding inside the view (a policy, a rate-limit rule) ask the middleware to send.
RESPONSE_HEADERS_ATTRIBUTE = "_causeloop_response_headers"


def _json_response(body: dict[str, Any], status: int) -> HttpResponse:
    content = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(content.encode(), status=status, content_type=CONTENT_TYPE)
    setattr(response, _MARKER, True)
    return response


def render(failure: Failure) -> HttpResponse:
    """Return the envelope response of ``failure`` with its headers and ``X-Request-Id``."""
    trace_id = current_or_new_trace_id()
    response = _json_response(build_body(failure, trace_id), failure.status)
    setattr(response, FAILURE_ATTRIBUTE, failure)
    for name, value in failure.headers.items():
        response[name] = value
    response["X-Request-Id"] = trace_id
    return response


def render_minimal() -> HttpResponse:
    """Return a 500 envelope that cannot fail to build."""
    trace_id = current_or_new_trace_id()
    response = _json_response(minimal_body(trace_id), 500)
    response["X-Request-Id"] = trace_id
    return response


def failure_of(response: HttpResponseBase) -> Failure | None:
    """Return the ``Failure`` a response was rendered from, or None."""
    return getattr(response, FAILURE_ATTRIBUTE, None)


def is_envelope(response: HttpResponseBase) -> bool:
    """Return whether ``response`` was rendered by this module."""
    return getattr(response, _MARKER, False)


def add_response_headers(request: Any, headers: dict[str, str]) -> None:
    """Ask the middleware to add ``headers`` to this request's response, success or failure."""
    holder = getattr(request, "_request", request)
    setattr(holder, RESPONSE_HEADERS_ATTRIBUTE, {**getattr(holder, RESPONSE_HEADERS_ATTRIBUTE, {}), **headers})
