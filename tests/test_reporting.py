"""Reporting: one 500 gives exactly one ERROR record, with the trace id and the traceback."""

from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.test import Client, override_settings

from causeloop_errors.middleware import MIDDLEWARE_PATH
from tests.conftest import ListHandler

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/raise/crash", {}),
        ("/api/plain/raise/crash", {}),
        ("/api/ok", {"HTTP_X_EXPLODE": "crash"}),
    ],
    ids=["drf-view", "plain-view", "middleware"],
)
@override_settings(MIDDLEWARE=[MIDDLEWARE_PATH, "tests.core_middleware.ExplodingMiddleware", *settings.MIDDLEWARE[1:]])
def test_one_500_produces_exactly_one_error_record_with_trace_id_and_traceback(
    request_log: ListHandler, path: str, headers: dict[str, str]
) -> None:
    response = Client(raise_request_exception=False).get(path, **headers)
    assert response.status_code == 500
    errors = [record for record in request_log.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    record = errors[0]
    assert record.trace_id == response["X-Request-Id"]  # type: ignore[attr-defined]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


def test_unexpected_exception_sends_got_request_exception_once() -> None:
    received: list[object] = []

    def receiver(sender: object, request: object, **kwargs: object) -> None:
        received.append(request)

    got_request_exception.connect(receiver)
    try:
        Client(raise_request_exception=False).get("/api/raise/crash")
    finally:
        got_request_exception.disconnect(receiver)
    assert len(received) == 1


def test_expected_errors_are_not_reported_as_exceptions(request_log: ListHandler) -> None:
    Client(raise_request_exception=False).get("/api/raise/api_conflict")
    assert not [record for record in request_log.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/api/raise/api_conflict", "/api/plain/raise/api_conflict"], ids=["drf", "plain"])
def test_a_rendering_bug_is_reported_once_and_still_answered_with_an_envelope(
    request_log: ListHandler, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("renderer exploded")

    monkeypatch.setattr("causeloop_errors.handler.from_exception", broken)
    monkeypatch.setattr("causeloop_errors.middleware.from_exception", broken)
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == 500 and b"exploded" not in response.content
    errors = [record for record in request_log.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    assert errors[0].exc_info is not None and errors[0].exc_info[0] is TypeError
    assert errors[0].trace_id == response["X-Request-Id"]  # type: ignore[attr-defined]


def test_example_logging_config_puts_the_trace_id_filter_on_its_handler() -> None:
    handler = settings.LOGGING["handlers"]["console"]
    assert handler["filters"] == ["trace_id"]
    assert settings.LOGGING["filters"]["trace_id"]["()"] == "causeloop_errors.trace.TraceIdFilter"
    assert "%(trace_id)s" in settings.LOGGING["formatters"][handler["formatter"]]["format"]


def test_warning_records_made_during_a_request_carry_its_trace_id(request_log: ListHandler) -> None:
    response = Client(raise_request_exception=False).get("/api/raise/api_conflict")
    warnings = [record for record in request_log.records if record.levelno == logging.WARNING]
    assert warnings and all(record.trace_id == response["X-Request-Id"] for record in warnings)  # type: ignore[attr-defined]
