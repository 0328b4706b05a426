"""Conversion of exceptions and bare statuses into failures (the parts the HTTP tests do not isolate)."""

from __future__ import annotations

from rest_framework import exceptions as drf

from causeloop_errors.conversion import from_exception, from_status


def test_ratelimited_is_checked_before_permission_denied() -> None:
    from django_ratelimit.exceptions import Ratelimited

    assert from_exception(Ratelimited()).error.code == "rate_limited"


def test_request_data_too_big_is_checked_before_suspicious_operation() -> None:
    from django.core.exceptions import RequestDataTooBig

    failure = from_exception(RequestDataTooBig("too big"))
    assert (failure.status, failure.error.code) == (413, "payload_too_large")


def test_unknown_exception_is_marked_unexpected_and_known_ones_are_not() -> None:
    assert from_exception(KeyError("x")).unexpected
    assert not from_exception(drf.NotFound()).unexpected


def test_authentication_failure_ignores_the_403_drf_forced_on_it() -> None:
    exc = drf.NotAuthenticated()
    exc.status_code = 403  # what APIView.handle_exception does when no authenticate header exists
    failure = from_exception(exc)
    assert (failure.status, failure.error.code) == (401, "unauthorized")
    assert failure.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_bare_429_status_keeps_its_retry_after_or_uses_the_default() -> None:
    assert from_status(429, {"Retry-After": "9"}).headers["Retry-After"] == "9"
    assert from_status(429, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}).headers["Retry-After"] == "60"


def test_bare_statuses_get_their_generic_code() -> None:
    assert from_status(405, {}).error.code == "method_not_allowed"
    assert from_status(502, {}).error.code == "internal_error"
    assert from_status(401, {"WWW-Authenticate": "Basic"}).headers == {"WWW-Authenticate": "Basic"}


def test_list_detail_uses_its_first_message() -> None:
    assert from_exception(drf.PermissionDenied(["First.", "Second."])).message == "First."


def test_raised_unauthorized_and_invalid_grant_carry_www_authenticate() -> None:
    from causeloop_errors.exceptions import InvalidGrant, Unauthorized

    assert from_exception(Unauthorized()).headers == {"WWW-Authenticate": 'Bearer realm="api"'}
    assert from_exception(InvalidGrant(headers={"WWW-Authenticate": "Custom"})).headers == {
        "WWW-Authenticate": "Custom"
    }
