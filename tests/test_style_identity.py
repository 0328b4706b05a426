"""The identity style: every example body of ``002_…``, per-resource codes, X-Request-ID and X-Debug."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from rest_framework import exceptions as drf

from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.exceptions import APIError, Conflict, NotFound, Unauthorized
from tests import style_support
from tests.conftest import ListHandler
from tests.style_support import REQ_ID, TIMESTAMP, Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style


@pytest.fixture(autouse=True)
def identity(use_style: Any) -> None:
    use_style("identity")


class ErrorCode(APIError):
    code = "error_code"


def test_error_response_format_example(use_style: Any, raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 4 (the format, reproduced with a host code named like its placeholder)
    expected = {
        "error": "error_code",
        "error_description": "Detailed error description",
        "details": {"field": "Additional information (optional)"},
    }
    use_style("identity", CODES=[{"code": "error_code", "status": 400, "message": "Error."}])
    response = raised(
        lambda: ErrorCode("Detailed error description", details={"field": "Additional information (optional)"})
    )
    assert (response.status_code, body(response)) == (400, expected)


def test_400_bad_request_example(api_client: Client) -> None:
    # 002_8f97c19cdbc890f9.txt, line 13
    expected = {"error": "invalid_request", "error_description": "Invalid JSON in request body"}
    response = api_client.post("/api/styles/raise", "{not json", content_type="application/json")
    assert (response.status_code, body(response)) == (400, expected)


def test_401_unauthorized_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 15
    expected = {"error": "unauthorized", "error_description": "Authentication token is invalid or expired"}
    response = raised(lambda: Unauthorized())
    assert (response.status_code, body(response)) == (401, expected)
    assert response["WWW-Authenticate"]  # shared: every 401 says how to authenticate


def test_403_forbidden_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 17
    expected = {"error": "forbidden", "error_description": "You do not have permission to perform this operation"}
    response = raised(lambda: drf.PermissionDenied())
    assert (response.status_code, body(response)) == (403, expected)


def test_404_not_found_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 19
    expected = {"error": "not_found", "error_description": "The specified user was not found"}
    response = raised(lambda: NotFound("The specified user was not found"))
    assert (response.status_code, body(response)) == (404, expected)


def test_409_conflict_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 21
    expected = {"error": "conflict", "error_description": "This email address is already in use"}
    response = raised(lambda: Conflict("This email address is already in use"))
    assert (response.status_code, body(response)) == (409, expected)


def test_422_validation_example_with_the_shared_400_status(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 23 (the document answers 422; statuses are shared, validation is 400)
    expected = {
        "error": "validation_error",
        "error_description": "Invalid input data",
        "details": {"email": "Please enter a valid email address", "name": "Name is required"},
    }
    detail = {"email": ["Please enter a valid email address"], "name": ["Name is required"]}
    response = raised(lambda: drf.ValidationError(detail))
    assert (response.status_code, body(response)) == (400, expected)


def test_429_rate_limit_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 25
    expected = {"error": "rate_limit_exceeded", "error_description": "Rate limit exceeded", "retry_after": 60}
    response = raised(lambda: drf.Throttled(wait=60))
    assert (response.status_code, body(response)) == (429, expected)
    assert response["Retry-After"] == "60"


def test_500_internal_error_example(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 27
    expected = {"error": "internal_error", "error_description": "An internal error occurred. Please try again later."}
    response = raised(lambda: RuntimeError("database password is hunter2"))
    assert (response.status_code, body(response)) == (500, expected)


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_request_id_example_header_on_errors_and_successes(api_client: Client, raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, line 96: "X-Request-ID: req_abc123xyz" on all responses
    failed = raised(lambda: Conflict())
    ok = api_client.get("/api/styles/ok")
    for response in (failed, ok):
        assert "X-Request-ID" in [name for name, _ in response.items()]  # spelled as the document spells it
        assert REQ_ID.fullmatch(response["X-Request-ID"])
        assert "X-Request-ID" in response["Access-Control-Expose-Headers"]
    assert failed["X-Request-ID"] != ok["X-Request-ID"]


@pytest.fixture
def staff(api_client: Client) -> User:
    user = User.objects.create_user("root", password="pw", is_staff=True)
    api_client.force_login(user)
    return user


def test_debug_mode_example_without_the_request_body(settings: Any, use_style: Any, raised: Raise, staff: User) -> None:
    # 002_8f97c19cdbc890f9.txt, line 100; "request_body" is left out on purpose: never echo request bodies
    expected = {
        "error": "validation_error",
        "error_description": "Invalid input data",
        "details": {"email": "Please enter a valid email address"},
        "debug": {"stack_trace": "...", "timestamp": "2024-01-22T10:30:00Z"},
    }
    settings.DEBUG = True
    use_style("identity", ALLOW_DEBUG_HEADER=True)
    response = raised(
        lambda: drf.ValidationError({"email": ["Please enter a valid email address"]}),
        method="post",
        data={"email": "nope", "password": "hunter2-secret"},
        content_type="application/json",
        HTTP_X_DEBUG="true",
    )
    got = body(response)
    debug = got["debug"]
    assert TIMESTAMP.fullmatch(debug["timestamp"])
    assert "Traceback" in debug["stack_trace"] and "rest_framework.exceptions.ValidationError" in debug["stack_trace"]
    assert {**got, "debug": {**debug, "stack_trace": "...", "timestamp": "2024-01-22T10:30:00Z"}} == expected
    assert b"hunter2-secret" not in response.content and b"nope" not in response.content


def test_debug_never_shows_the_exception_message_of_a_crash(
    settings: Any, use_style: Any, raised: Raise, staff: User
) -> None:
    settings.DEBUG = True
    use_style("identity", ALLOW_DEBUG_HEADER=True)
    response = raised(lambda: RuntimeError("password=hunter2-secret"), HTTP_X_DEBUG="true")
    assert response.status_code == 500 and "builtins.RuntimeError" in body(response)["debug"]["stack_trace"]
    assert b"hunter2-secret" not in response.content


def test_x_debug_does_nothing_while_debug_is_off(settings: Any, use_style: Any, raised: Raise, staff: User) -> None:
    settings.DEBUG = False
    use_style("identity", ALLOW_DEBUG_HEADER=True)
    assert "debug" not in body(raised(lambda: Conflict(), HTTP_X_DEBUG="true"))


@pytest.mark.parametrize(
    ("allowed", "header", "is_staff"),
    [(False, "true", True), (True, None, True), (True, "false", True), (True, "true", False)],
    ids=["setting-off", "no-header", "header-false", "not-staff"],
)
def test_x_debug_needs_the_setting_the_header_and_a_staff_user(
    settings: Any, use_style: Any, raised: Raise, api_client: Client, allowed: bool, header: str | None, is_staff: bool
) -> None:
    settings.DEBUG = True
    use_style("identity", ALLOW_DEBUG_HEADER=allowed)
    api_client.force_login(User.objects.create_user("someone", password="pw", is_staff=is_staff))
    extra = {"HTTP_X_DEBUG": header} if header is not None else {}
    assert "debug" not in body(raised(lambda: Conflict(), **extra))


def test_x_debug_is_refused_to_anonymous_requests(settings: Any, use_style: Any, raised: Raise) -> None:
    settings.DEBUG = True
    use_style("identity", ALLOW_DEBUG_HEADER=True)
    assert "debug" not in body(raised(lambda: Conflict(), HTTP_X_DEBUG="true"))


def test_not_found_raised_with_a_mapped_resource_gets_the_resource_code(raised: Raise) -> None:
    # 002_8f97c19cdbc890f9.txt, lines 40-45: user_not_found ... flow_not_found
    response = raised(lambda: NotFound(resource="organization"))
    assert body(response) == {"error": "organization_not_found", "error_description": "Organization not found"}


def test_a_drf_views_queryset_model_names_the_resource(api_client: Client) -> None:
    response = api_client.get("/api/users/999999")
    assert (response.status_code, body(response)["error"]) == (404, "user_not_found")


def test_an_unmapped_model_never_leaks_its_name(api_client: Client) -> None:
    Group.objects.create(name="exists")
    response = api_client.get("/api/groups/999999")
    assert body(response) == {"error": "not_found", "error_description": "Resource not found"}


def test_audit_events_and_logs_carry_the_request_id_the_client_sees(raised: Raise, request_log: ListHandler) -> None:
    response = raised(lambda: drf.PermissionDenied())
    request_id = response["X-Request-ID"]
    assert REQ_ID.fullmatch(request_id)
    assert AuditEvent.objects.get().trace_id == request_id
    warnings = [record for record in request_log.records if record.levelno == logging.WARNING]
    assert warnings and {record.trace_id for record in warnings} == {request_id}  # type: ignore[attr-defined]
