"""Django's error views: the envelope with the exception's own code on API paths, Django's pages elsewhere."""

from __future__ import annotations

import json
import sys

import pytest
from django.core.exceptions import DisallowedHost, PermissionDenied, RequestDataTooBig
from django.http import Http404
from django.test import Client, RequestFactory
from django_ratelimit.exceptions import Ratelimited

from causeloop_errors import views
from causeloop_errors.exceptions import Conflict
from tests.contract import assert_envelope

pytestmark = pytest.mark.urls("tests.urls")


def _api(path: str = "/api/x") -> object:
    return RequestFactory().get(path)


def test_bad_request_view_keeps_the_413_of_an_oversized_body() -> None:
    assert_envelope(views.bad_request(_api(), RequestDataTooBig("body")), 413, "payload_too_large")  # type: ignore[arg-type]


def test_bad_request_view_hides_disallowed_host_text() -> None:
    response = views.bad_request(_api(), DisallowedHost("Invalid HTTP_HOST header: 'evil.example'"))  # type: ignore[arg-type]
    error = assert_envelope(response, 400, "validation_error")
    assert error["message"] == "Malformed request." and b"evil" not in response.content


def test_disallowed_host_through_the_stack_has_the_documented_message() -> None:
    response = Client(raise_request_exception=False).get("/api/ok", HTTP_HOST="evil.example")
    assert assert_envelope(response, 400, "validation_error")["message"] == "Malformed request."


def test_permission_denied_view_turns_ratelimited_into_429() -> None:
    response = views.permission_denied(_api(), Ratelimited())  # type: ignore[arg-type]
    assert_envelope(response, 429, "rate_limited", {"retry_after": 60})
    assert assert_envelope(views.permission_denied(_api(), PermissionDenied()), 403, "forbidden")  # type: ignore[arg-type]


def test_page_not_found_view_never_names_the_model() -> None:
    response = views.page_not_found(_api(), Http404("No Group matches the given query."))  # type: ignore[arg-type]
    assert_envelope(response, 404, "not_found")
    assert b"Group" not in response.content


def test_server_error_view_renders_the_exception_being_handled() -> None:
    try:
        raise Conflict(details={"name": "taken"})
    except Conflict:
        assert sys.exc_info()[0] is Conflict
        response = views.server_error(_api())  # type: ignore[arg-type]
    assert_envelope(response, 409, "conflict", {"name": "taken"})


def test_server_error_view_without_an_exception_is_internal_error() -> None:
    assert_envelope(views.server_error(_api()), 500, "internal_error")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("view", "args", "status"),
    [
        (views.bad_request, (Exception(),), 400),
        (views.permission_denied, (PermissionDenied(),), 403),
        (views.page_not_found, (Http404(),), 404),
        (views.server_error, (), 500),
    ],
)
def test_error_views_keep_djangos_pages_outside_api_paths(view: object, args: tuple[object, ...], status: int) -> None:
    response = view(RequestFactory().get("/pages/x"), *args)  # type: ignore[operator]
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


def test_csrf_failure_view_answers_forbidden_with_the_reason_on_api_paths() -> None:
    response = views.csrf_failure(RequestFactory().post("/api/issues"), reason="CSRF cookie not set.")
    body = json.loads(response.content)
    assert response.status_code == 403
    assert body["error"]["code"] == "forbidden"
    assert body["error"]["details"] == {"reason": "CSRF cookie not set."}


def test_csrf_failure_view_defers_to_django_elsewhere() -> None:
    response = views.csrf_failure(RequestFactory().post("/admin/login/"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
