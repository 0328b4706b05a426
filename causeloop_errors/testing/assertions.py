"""Assert that a response is (or is not) an error envelope of the contract.

Any response with ``status_code``, ``headers`` and ``content`` works: the Django test client's, DRF's
``APIClient``'s, a plain ``HttpResponse`` and a ``requests`` response. The body's shape is checked by one
small function (``causeloop_error`` by default), so another envelope style only needs its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

ERROR_MEMBERS = frozenset({"code", "message", "trace_id", "details", "field_errors"})
REQUIRED_MEMBERS = ("code", "message", "trace_id")
_BODY_PREVIEW = 1000

Shape = Callable[[Any], dict[str, Any]]
REQUEST_ID_HEADER = "X-Request-Id"


def _require(condition: bool, message: str) -> None:
    """Raise ``AssertionError`` unless ``condition``: explicit, so ``python -O`` cannot strip the checks."""
    if not condition:
        raise AssertionError(message)


def causeloop_error(body: Any) -> dict[str, Any]:
    """Return the ``error`` member of the Causeloop envelope ``body``; raise AssertionError if it is not one."""
    _require(isinstance(body, dict), f"the body is not a JSON object but {type(body).__name__}")
    _require(list(body) == ["error"], f"the body must have exactly one member, 'error'; it has {sorted(body)}")
    error = body["error"]
    _require(isinstance(error, dict), f"'error' is not an object but {type(error).__name__}")
    missing = [name for name in REQUIRED_MEMBERS if name not in error]
    _require(not missing, f"'error' lacks {missing}")
    unknown = sorted(set(error) - ERROR_MEMBERS)
    _require(not unknown, f"'error' has members outside the contract: {unknown}")
    for name in REQUIRED_MEMBERS:
        _require(isinstance(error[name], str) and bool(error[name]), f"error.{name} must be a non-empty string")
    if "details" in error:
        details = error["details"]
        _require(isinstance(details, dict) and bool(details), "error.details, when present, must be a non-empty object")
    return error


def _header(response: Any, name: str) -> str | None:
    value = response.headers.get(name)
    return None if value is None else str(value)


def _content(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b""  # an envelope is never streamed; reading the stream here would consume it
    content = response.content
    return content if isinstance(content, bytes) else str(content).encode()


def _describe(response: Any) -> str:
    text = _content(response)[:_BODY_PREVIEW].decode("utf-8", errors="replace")
    content_type = _header(response, "Content-Type")
    return f"\n  status: {response.status_code}\n  Content-Type: {content_type}\n  body: {text}"


def _is_json(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def read_error(response: Any, *, shape: Shape = causeloop_error, id_header: str = REQUEST_ID_HEADER) -> dict[str, Any]:
    """Return the error member of an envelope response whose trace_id is its ``id_header``, at any status."""
    content_type = _header(response, "Content-Type")
    _require(_is_json(content_type), f"the response is not JSON (Content-Type: {content_type}){_describe(response)}")
    try:
        body = json.loads(_content(response))
    except ValueError:
        raise AssertionError(f"the body is not valid JSON{_describe(response)}") from None
    try:
        error = shape(body)
    except AssertionError as exc:
        raise AssertionError(f"not an error envelope: {exc}{_describe(response)}") from None
    request_id = _header(response, id_header)
    _require(request_id is not None, f"the response has no {id_header} header{_describe(response)}")
    _require(
        error["trace_id"] == request_id,
        f"error.trace_id {error['trace_id']!r} differs from {id_header} {request_id!r}{_describe(response)}",
    )
    return error


def assert_error_envelope(
    response: Any,
    status: int,
    code: str,
    details: Any = ...,
    *,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
    shape: Shape = causeloop_error,
    id_header: str = REQUEST_ID_HEADER,
) -> dict[str, Any]:
    """Assert ``response`` is the envelope of ``status`` and ``code`` (and ``details``, ``message``); return it.

    ``details`` is compared whole; leave it out to accept any, pass ``None`` to require none.
    ``headers`` are response headers that must have exactly these values. Whatever the code, a 401 must carry
    ``WWW-Authenticate`` and a 429 a ``Retry-After`` of whole seconds, at least 1, as the contract says.
    """
    _require(
        response.status_code == status, f"expected status {status}, got {response.status_code}{_describe(response)}"
    )
    error = read_error(response, shape=shape, id_header=id_header)
    _require_status_headers(response)
    _require(error["code"] == code, f"expected code {code!r}, got {error['code']!r}{_describe(response)}")
    if message is not None:
        _require(error["message"] == message, f"expected message {message!r}, got {error['message']!r}")
    if details is not ...:
        actual = error.get("details")
        _require(actual == details, f"expected details {details!r}, got {actual!r}{_describe(response)}")
    for name, value in (headers or {}).items():
        actual_header = _header(response, name)
        _require(
            actual_header == value, f"expected header {name}: {value!r}, got {actual_header!r}{_describe(response)}"
        )
    return error


def _require_status_headers(response: Any) -> None:
    """Require the headers the contract ties to a status: ``WWW-Authenticate`` on 401, ``Retry-After`` on 429."""
    if response.status_code == 401:
        _require(bool(_header(response, "WWW-Authenticate")), f"a 401 without WWW-Authenticate{_describe(response)}")
    if response.status_code == 429:
        wait = _header(response, "Retry-After") or ""
        whole = wait.isascii() and wait.isdigit() and int(wait) >= 1
        _require(whole, f"a 429 needs Retry-After in whole seconds >= 1, got {wait!r}{_describe(response)}")


def is_error_envelope(response: Any, *, shape: Shape = causeloop_error, id_header: str = REQUEST_ID_HEADER) -> bool:
    """Return whether ``response`` is an error envelope (any status) whose trace_id is its ``id_header``."""
    try:
        read_error(response, shape=shape, id_header=id_header)
    except AssertionError:
        return False
    return True


def assert_not_error_envelope(response: Any, *, shape: Shape = causeloop_error) -> None:
    """Assert ``response`` is not an error envelope (a success, or a page outside the API prefixes)."""
    _require(not is_error_envelope(response, shape=shape), f"the response is an error envelope{_describe(response)}")
