"""The core's hooks: what a feature app registers runs in every request, in order, without the core importing it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from causeloop_errors import hooks, signals
from causeloop_errors.exceptions import Forbidden
from tests.contract import assert_envelope

pytestmark = pytest.mark.urls("tests.urls")


@pytest.fixture
def fresh_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hooks, "_view_guards", hooks.view_guards())
    monkeypatch.setattr(hooks, "_after_view", hooks.after_view_steps())


def test_registering_twice_keeps_one(fresh_hooks: None) -> None:
    def guard(request: Any, view: Any) -> None:
        return None

    before = len(hooks.view_guards())
    hooks.add_view_guard(guard)
    hooks.add_view_guard(guard)
    assert hooks.view_guards()[before:] == (guard,)


@pytest.mark.django_db
def test_a_view_guard_refusing_is_answered_with_its_envelope_before_the_view(fresh_hooks: None, client: Client) -> None:
    seen: list[str] = []

    def guard(request: Any, view: Any) -> None:
        seen.append(request.path)
        if request.path == "/api/ok":
            raise Forbidden("Refused by a guard.")

    hooks.add_view_guard(guard)
    error = assert_envelope(client.get("/api/ok"), 403, "forbidden")
    assert error["message"] == "Refused by a guard."
    assert seen == ["/api/ok"]


@pytest.mark.django_db
def test_an_after_view_step_runs_after_error_emitted_and_only_when_pending(fresh_hooks: None, client: Client) -> None:
    order: list[str] = []

    def on_emitted(**kwargs: Any) -> None:
        order.append("error_emitted")

    signals.error_emitted.connect(on_emitted, dispatch_uid="tests.hooks.order")
    try:
        hooks.add_after_view(
            lambda request: request.path.startswith("/api/raise/"), lambda request: order.append("step")
        )
        client.get("/api/ok")  # a success: nothing pending, no envelope
        assert order == []
        client.get("/api/raise/api_not_found")
        assert order == ["error_emitted", "step"]
    finally:
        signals.error_emitted.disconnect(dispatch_uid="tests.hooks.order")
