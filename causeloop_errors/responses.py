"""Turn a ``Failure`` into an HTTP response, and recognise the responses made here."""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response

from causeloop_errors import trace
from causeloop_errors.conf import app_settings
from causeloop_errors.envelope import Failure, minimal_body
from causeloop_errors.styles import configured_style, style_for

CONTENT_TYPE = "application/json"
_MARKER = "_causeloop_envelope"
FAILURE_ATTRIBUTE = "_causeloop_failure"
# Headers that components deciding inside the view (a policy, a rate-limit rule) ask the middleware to send.
RESPONSE_HEADERS_ATTRIBUTE = "_causeloop_response_headers"


def _strict(value: Any) -> Any:
    """Return ``value`` with non-finite floats as their JavaScript names (JSON has no NaN or Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(item) for item in value]
    return value


def _encode(body: dict[str, Any]) -> bytes:
    """Return ``body`` as strict UTF-8 JSON; odd values cost a second pass, never a failure.

    The second pass spells non-finite floats as strings and escapes every non-ASCII character, which
    keeps a lone surrogate (a client may send ``"\\ud800"``, and DRF echoes it) as a valid JSON escape.
    """
    try:
        return json.dumps(
            body, cls=DjangoJSONEncoder, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
    except ValueError:  # a NaN or infinity, or UnicodeEncodeError (a lone surrogate)
        return json.dumps(_strict(body), cls=DjangoJSONEncoder, allow_nan=False, separators=(",", ":")).encode()


class EnvelopeResponse(Response):
    """A DRF ``Response`` already rendered: ``.data`` is the body sent, as host tests read it (``data["error"]``).

    Its bytes are the app's own encoding (strict UTF-8 JSON), set at once, so DRF's renderer never runs on it.
    """

    def __init__(self, body: dict[str, Any], content: bytes, status: int, content_type: str) -> None:
        super().__init__(body, status=status, content_type=content_type)
        self["Content-Type"] = content_type
        self.content = content  # marks the response rendered


def _json_response(
    body: dict[str, Any], status: int, content_type: str = CONTENT_TYPE, *, drf: bool = False
) -> HttpResponse:
    content = _encode(body)
    response = (
        EnvelopeResponse(body, content, status, content_type)
        if drf
        else HttpResponse(content, status=status, content_type=content_type)
    )
    setattr(response, _MARKER, True)
    return response


def _trace_id() -> str:
    """Return the current trace id, starting one in the configured style's format if no request set it."""
    value = trace.get_trace_id()
    if value is None:
        value = configured_style().new_trace_id()
        trace.set_trace_id(value)
    return value


def render(failure: Failure, *, drf: bool = False) -> HttpResponse:
    """Return the error response of ``failure`` in the request's style, with its headers and request id.

    ``drf``: a DRF ``Response`` (``EnvelopeResponse``), for answers to DRF views.
    """
    request = trace.get_current_request()
    style = style_for(request)
    trace_id = _trace_id()
    response = _json_response(style.body(failure, trace_id, request), failure.status, style.content_type, drf=drf)
    setattr(response, FAILURE_ATTRIBUTE, failure)
    for name, value in failure.headers.items():
        response[name] = value
    response[configured_style().request_id_header] = trace_id
    if app_settings.NEGOTIATE_PROBLEM_DETAILS:
        patch_vary_headers(response, ["Accept"])
    return response


def render_minimal() -> HttpResponse:
    """Return a 500 in the configured style that cannot fail to build (the Causeloop one if the style fails)."""
    trace_id = _trace_id()
    try:
        style = configured_style()
        response = _json_response(style.minimal_body(trace_id), 500, style.content_type)
        header = style.request_id_header
    except Exception:  # a broken host style: the envelope of last resort still goes out
        response, header = _json_response(minimal_body(trace_id), 500), "X-Request-Id"
    response[header] = trace_id
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
