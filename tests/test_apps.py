"""Wiring: ready() registers the checks and connects the receivers."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.signals import request_finished, setting_changed

from causeloop_errors import checks as app_checks
from causeloop_errors import settings_checks, trace


def test_checks_are_registered() -> None:
    registered = checks.registry.registry.get_checks()
    for check in (app_checks.check_exception_handler, app_checks.check_middleware, settings_checks.check_settings):
        assert check in registered


def test_receivers_are_connected_under_their_dispatch_uid() -> None:
    assert setting_changed.has_listeners() and request_finished.has_listeners()
    setting_uids = [key[0] for key, *_ in setting_changed.receivers]
    finished_uids = [key[0] for key, *_ in request_finished.receivers]
    assert setting_uids.count("causeloop_errors.catalog_reset") == 1
    assert finished_uids.count("causeloop_errors.trace_clear") == 1


@pytest.mark.django_db  # request_finished also closes old database connections
def test_finishing_a_request_clears_the_trace_id() -> None:
    trace.set_trace_id("finished-trace-1")
    request_finished.send(sender=None)
    assert trace.get_trace_id() is None
