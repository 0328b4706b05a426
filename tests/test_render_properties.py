"""Properties of the renderer: whatever a view raises or returns, every status answers with the contract's envelope.

Each property drives one public entry point (DRF's exception handler, ``render(from_status(...))``, the middleware
rewriting a plain error response) with generated input and checks the whole response: strict JSON, exactly the
envelope's members, the status and registered code, ``X-Request-Id`` equal to ``trace_id``, ``WWW-Authenticate``
on every 401 and a positive integer ``Retry-After`` on every 429. None of them may raise.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import exceptions as django_exceptions
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import exceptions as drf

from causeloop_errors import catalog, trace
from causeloop_errors.conversion import from_status
from causeloop_errors.exceptions import APIError, RateLimited
from causeloop_errors.handler import exception_handler
from causeloop_errors.middleware import ErrorEnvelopeMiddleware
from causeloop_errors.paths import split_path
from causeloop_errors.responses import render

BOUNDED = settings(max_examples=80, deadline=None)
HOST_CODE = {"code": "insufficient_balance", "status": 402, "message": "Insufficient balance."}
# The app's defaults with one host code registered and audit off (these properties use no database).
RENDER_SETTINGS = {"CODES": [HOST_CODE], "AUDIT_CODES": []}
ENVELOPE_MEMBERS = {"code", "message", "trace_id", "details"}
DEFAULT_RETRY_AFTER = 60  # the app's default; RENDER_SETTINGS does not change it

# --- strategies ---

_no_surrogates = st.characters(exclude_categories=["Cs"])
# Any text without lone surrogates, control characters included, and very long text made by repetition.
messages = st.one_of(
    st.text(_no_surrogates, max_size=80),
    st.builds(
        lambda piece, times: piece * times, st.text(_no_surrogates, min_size=1, max_size=4), st.integers(1, 30_000)
    ),
)
lazy_texts = st.sampled_from(["This field is required.", "Not found.", "Invalid value."]).map(gettext_lazy)
_awkward_keys = st.sampled_from(["", ".", "a.b", "..", "0", "1", "007", "\\", "a\\.b", "__all__", "non_field_errors"])
dict_keys = st.one_of(
    st.text(_no_surrogates, max_size=8),
    _awkward_keys,
    st.integers(-5, 100),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.tuples(st.integers(0, 3), st.text(max_size=2)),
    lazy_texts,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(_no_surrogates, max_size=20),
    lazy_texts,
)
details_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.frozensets(st.one_of(st.integers(-9, 9), st.text(max_size=3)), max_size=4),
        st.sets(st.one_of(st.integers(-9, 9), st.text(max_size=3), lazy_texts), max_size=4),
        st.dictionaries(dict_keys, children, max_size=4),
    ),
    max_leaves=30,
)
details_maps = st.dictionaries(dict_keys, details_values, max_size=6)
trace_ids = st.from_regex(r"[A-Za-z0-9._:-]{8,128}", fullmatch=True)
# DRF ValidationError details as serializers build them: nested dicts (field names, int indexes) and lists.
_messages = st.one_of(st.text(_no_surrogates, max_size=20), lazy_texts, st.integers(-9, 9))
validation_trees = st.recursive(
    _messages,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(_no_surrogates, max_size=6), _awkward_keys, st.integers(0, 5)), children, max_size=4
        ),
    ),
    max_leaves=25,
)
retry_after_headers = st.one_of(
    st.integers(0, 10**9).map(str),
    st.text(string.ascii_letters + string.digits + string.punctuation + " \t", max_size=12),
)


# --- the contract, checked on a whole response ---


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(content: bytes) -> Any:
    """Return the body parsed as strict JSON: UTF-8, no NaN or Infinity."""
    return json.loads(content.decode("utf-8"), parse_constant=_reject_constant)


def assert_contract(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """Assert ``response`` is exactly the contract's envelope with ``status`` and ``code``; return ``error``."""
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = strict_json(response.content)
    assert isinstance(body, dict) and list(body) == ["error"]
    error = body["error"]
    assert {"code", "message", "trace_id"} <= set(error) <= ENVELOPE_MEMBERS, set(error)
    assert error["code"] == code
    assert catalog.get(code) is not None
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["trace_id"], str) and error["trace_id"] == response["X-Request-Id"]
    if "details" in error:
        assert isinstance(error["details"], dict) and error["details"]
    if status == 401:
        assert response["WWW-Authenticate"]
    if status == 429 or (status == 503 and response.has_header("Retry-After")):
        assert response["Retry-After"].isascii() and response["Retry-After"].isdigit()
        assert int(response["Retry-After"]) >= 1
    for name, value in response.items():
        assert "\r" not in value and "\n" not in value, name
    return dict(error)


def as_json(value: Any) -> Any:
    """Return what ``value`` should become in the envelope: string keys, lazy text forced, sets sorted as lists."""
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((as_json(item) for item in value), key=str)
    if isinstance(value, (list, tuple)):
        return [as_json(item) for item in value]
    return str(value) if isinstance(value, Promise) else value


def leaves(tree: Any) -> set[str]:
    """Return every message of a validation tree as text."""
    if isinstance(tree, dict):
        return {leaf for value in tree.values() for leaf in leaves(value)}
    if isinstance(tree, list):
        return {leaf for item in tree for leaf in leaves(item)}
    return {str(tree)}


@contextmanager
def traced(trace_id: str) -> Iterator[None]:
    token = trace.set_trace_id(trace_id)
    try:
        yield
    finally:
        trace.reset_trace_id(token)


def handle(exc: Exception, trace_id: str) -> HttpResponse:
    with traced(trace_id):
        response = exception_handler(exc, {"request": None, "view": None})
    assert response["X-Request-Id"] == trace_id
    return response


def _error_class(code: str) -> type[APIError]:
    return type("Generated", (APIError,), {"code": code})


ALL_CODES = [entry.code for entry in catalog.BUILTIN] + [HOST_CODE["code"]]


# --- every registered code, raised by a view ---


@pytest.mark.parametrize("code", ALL_CODES)
@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(message=messages, details=details_maps, trace_id=trace_ids)
def test_every_code_renders_its_envelope_for_any_message_and_details(
    code: str, message: str, details: dict[Any, Any], trace_id: str
) -> None:
    entry = catalog.get(code)
    assert entry is not None

    error = assert_contract(handle(_error_class(code)(message, details=details), trace_id), entry.status, code)

    assert error["message"] == (message or entry.message)
    expected = as_json(details)
    if code == "validation_error" and not details:
        expected = {"non_field_errors": error["message"]}
    if code == "rate_limited":
        expected = {**(expected or {}), "retry_after": DEFAULT_RETRY_AFTER}
    assert error.get("details") == (expected or None)


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(wait=st.one_of(st.none(), st.floats(-1e6, 1e9)), message=messages, trace_id=trace_ids)
def test_rate_limited_always_sends_a_positive_whole_retry_after_matching_details(
    wait: float | None, message: str, trace_id: str
) -> None:
    response = handle(RateLimited(message, retry_after=wait), trace_id)

    error = assert_contract(response, 429, "rate_limited")
    seconds = DEFAULT_RETRY_AFTER if wait is None else max(1, math.ceil(wait))
    assert response["Retry-After"] == str(seconds)
    assert error["details"]["retry_after"] == seconds


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(stated=retry_after_headers, trace_id=trace_ids)
def test_a_retry_after_header_given_by_the_view_is_normalised_on_429(stated: str, trace_id: str) -> None:
    response = handle(RateLimited(headers={"Retry-After": stated}), trace_id)

    assert_contract(response, 429, "rate_limited")
    assert int(response["Retry-After"]) == (max(1, int(stated)) if stated.isdigit() else DEFAULT_RETRY_AFTER)


# --- DRF's and Django's exceptions ---

_DRF_SIMPLE = [
    (drf.NotAuthenticated, 401, "unauthorized"),
    (drf.AuthenticationFailed, 401, "unauthorized"),
    (drf.PermissionDenied, 403, "forbidden"),
    (drf.NotFound, 404, "not_found"),
    (drf.NotAcceptable, 406, "not_acceptable"),
]


@pytest.mark.parametrize(("cls", "status", "code"), _DRF_SIMPLE)
@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(detail=st.one_of(st.none(), messages), trace_id=trace_ids)
def test_drf_exceptions_keep_their_status_code_and_message(
    cls: type[drf.APIException], status: int, code: str, detail: str | None, trace_id: str
) -> None:
    entry = catalog.get(code)
    assert entry is not None

    error = assert_contract(handle(cls(detail), trace_id), status, code)

    assert error["message"] == (str(cls.default_detail) if detail is None else detail or entry.message)


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(
    method=st.text(_no_surrogates, max_size=30),
    media_type=st.text(_no_surrogates, max_size=30),
    wait=st.one_of(st.none(), st.floats(0, 1e7)),
    trace_id=trace_ids,
)
def test_drf_method_media_type_throttle_and_parse_errors(
    method: str, media_type: str, wait: float | None, trace_id: str
) -> None:
    assert_contract(handle(drf.MethodNotAllowed(method), trace_id), 405, "method_not_allowed")
    assert_contract(handle(drf.UnsupportedMediaType(media_type), trace_id), 415, "unsupported_media_type")
    error = assert_contract(
        handle(drf.ParseError(f"JSON parse error - {media_type}"), trace_id), 400, "validation_error"
    )
    assert error["message"] == "Malformed request body."

    throttled = handle(drf.Throttled(wait), trace_id)
    assert_contract(throttled, 429, "rate_limited")
    assert int(throttled["Retry-After"]) == (DEFAULT_RETRY_AFTER if wait is None else max(1, math.ceil(wait)))


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(tree=validation_trees, trace_id=trace_ids)
def test_any_drf_validation_error_is_a_400_with_one_text_message_per_dot_path(tree: Any, trace_id: str) -> None:
    error = assert_contract(handle(drf.ValidationError(tree), trace_id), 400, "validation_error")

    assert error["message"] == "Request validation failed"
    details = error["details"]
    assert all(isinstance(path, str) and isinstance(text, str) for path, text in details.items())
    messages_in_tree = leaves(tree)
    if messages_in_tree:
        assert set(details.values()) <= messages_in_tree
    else:
        assert details == {"non_field_errors": "Request validation failed"}
    for path in details:
        assert split_path(path)  # every path splits back into keys


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(
    raw=st.one_of(
        st.text(_no_surrogates, min_size=1, max_size=40),
        st.lists(st.text(_no_surrogates, min_size=1, max_size=20), min_size=1, max_size=3),
        st.dictionaries(
            st.text(_no_surrogates, min_size=1, max_size=6),
            st.lists(st.text(_no_surrogates, min_size=1, max_size=20), min_size=1, max_size=2),
            min_size=1,
            max_size=3,
        ),
    ),
    trace_id=trace_ids,
)
def test_any_django_validation_error_is_a_400_validation_envelope(raw: Any, trace_id: str) -> None:
    exc = django_exceptions.ValidationError(raw)

    error = assert_contract(handle(exc, trace_id), 400, "validation_error")

    assert set(error["details"].values()) <= leaves(raw)


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(
    status=st.integers(400, 599),
    default_code=st.one_of(st.sampled_from(ALL_CODES), st.text(string.ascii_lowercase + "_", max_size=12)),
    detail=st.one_of(
        messages,
        st.lists(messages, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(["detail", "code", "message"]), dict_keys), messages, max_size=4),
    ),
    trace_id=trace_ids,
)
def test_a_third_party_exception_keeps_its_status_with_a_registered_code(
    status: int, default_code: str, detail: Any, trace_id: str
) -> None:
    cls = type("ThirdParty", (drf.APIException,), {"status_code": status, "default_code": default_code})

    response = handle(cls(detail), trace_id)

    body = strict_json(response.content)
    entry = catalog.get(body["error"]["code"])
    assert entry is not None
    assert_contract(response, status, entry.code)
    registered_statuses = {known.status for known in catalog.all_codes()}
    assert entry.status == status or (status not in registered_statuses and entry == catalog.generic_for_status(status))


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@settings(max_examples=30, deadline=None)
@given(message=messages, trace_id=trace_ids)
def test_an_unknown_exception_is_the_generic_500_without_its_text(message: str, trace_id: str) -> None:
    response = handle(RuntimeError(f"secret {message}"), trace_id)

    error = assert_contract(response, 500, "internal_error")
    assert error == {"code": "internal_error", "message": "Unexpected server error.", "trace_id": trace_id}


# --- every status 400-599 with no exception: the middleware's and error views' path ---


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(
    status=st.integers(400, 599),
    authenticate=st.one_of(st.none(), st.sampled_from(['Basic realm="x"', 'Bearer error="invalid_token"'])),
    retry_after=st.one_of(st.none(), retry_after_headers),
    trace_id=trace_ids,
)
def test_from_status_renders_every_error_status_with_its_generic_code(
    status: int, authenticate: str | None, retry_after: str | None, trace_id: str
) -> None:
    headers = {
        name: value for name, value in {"WWW-Authenticate": authenticate, "Retry-After": retry_after}.items() if value
    }
    with traced(trace_id):
        response = render(from_status(status, headers))

    error = assert_contract(response, status, catalog.generic_for_status(status).code)
    assert error["trace_id"] == trace_id
    if status == 401:
        assert response["WWW-Authenticate"] == (authenticate or 'Bearer realm="api"')


def _plain_error(status: int, headers: dict[str, str]) -> Any:
    def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse(b"<h1>Error</h1>", status=status, content_type="text/html", headers=headers)

    return get_response


@override_settings(CAUSELOOP_ERRORS=RENDER_SETTINGS)
@BOUNDED
@given(
    status=st.integers(400, 599),
    retry_after=st.one_of(st.none(), retry_after_headers),
    path=st.text(string.ascii_letters + string.digits + "-_./", max_size=30),
)
def test_the_middleware_turns_any_html_error_status_on_an_api_path_into_the_envelope(
    status: int, retry_after: str | None, path: str
) -> None:
    stated = (
        {} if retry_after is None or (status == 503 and not retry_after.isdigit()) else {"Retry-After": retry_after}
    )
    middleware = ErrorEnvelopeMiddleware(_plain_error(status, stated))
    try:
        response = middleware(RequestFactory().get(f"/api/{path}"))
    finally:
        trace.clear_trace_id()

    assert isinstance(response, HttpResponse)
    assert_contract(response, status, catalog.generic_for_status(status).code)
    assert trace.is_valid_incoming_id(response["X-Request-Id"])


# --- inputs that once broke the renderer (found by these properties), each fixed ---


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_non_finite_float_in_details_still_gives_strict_json(value: float) -> None:
    response = handle(_error_class("conflict")(details={"score": value}), "trace-nan-1")

    assert_contract(response, 409, "conflict")


@pytest.mark.parametrize("wait", [float("nan"), float("inf")])
def test_a_non_finite_retry_after_is_still_a_429(wait: float) -> None:
    assert_contract(handle(RateLimited(retry_after=wait), "trace-wait-1"), 429, "rate_limited")


@pytest.mark.parametrize("stated", ["²", "1²"])
def test_a_retry_after_of_unicode_digits_is_normalised_on_429(stated: str) -> None:
    assert_contract(handle(RateLimited(headers={"Retry-After": stated}), "trace-digit-1"), 429, "rate_limited")
    with traced("trace-digit-2"):
        assert_contract(render(from_status(429, {"Retry-After": stated})), 429, "rate_limited")


@pytest.mark.parametrize(
    "make",
    [
        lambda: drf.ValidationError({"scope": ['"\ud800" is not a valid choice.']}),
        lambda: drf.ValidationError({"labels": {"\udcff": ["A valid integer is required."]}}),
        lambda: _error_class("validation_error")("bad \ud800 input", details={"field": "\udfff"}),
    ],
    ids=["surrogate-in-message", "surrogate-in-key", "surrogate-in-api-error"],
)
def test_a_lone_surrogate_in_an_error_still_renders_the_400(make: Any) -> None:
    assert_contract(handle(make(), "trace-surrogate-1"), 400, "validation_error")


@pytest.mark.parametrize(("stated", "sent"), [("0", "1"), ("00", "1"), ("30", "30"), ("abc", None), ("1e3", None)])
def test_a_foreign_503_keeps_its_retry_after_only_as_whole_seconds_of_at_least_one(
    stated: str, sent: str | None
) -> None:
    middleware = ErrorEnvelopeMiddleware(_plain_error(503, {"Retry-After": stated}))
    try:
        response = middleware(RequestFactory().get("/api/x"))
    finally:
        trace.clear_trace_id()
    assert_contract(response, 503, "service_unavailable")
    assert response.get("Retry-After") == sent
