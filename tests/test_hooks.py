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


@pytest.mark.django_db
def test_an_after_view_step_that_raises_is_logged_and_never_changes_the_response(
    fresh_hooks: None, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(request: Any) -> None:
        raise RuntimeError("a feature's bug")

    hooks.add_after_view(lambda request: True, broken)
    assert_envelope(client.get("/api/raise/api_not_found"), 404, "not_found")
    assert "after-view step" in caplog.text


@pytest.mark.django_db
def test_a_host_model_watched_for_changes_is_announced_and_audited() -> None:
    from django.contrib.auth.models import Group
    from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

    from causeloop_errors import changes
    from causeloop_errors.audit.models import AuditEvent

    changes.watch(Group)
    try:
        Group.objects.create(name="support")
    finally:
        label = Group._meta.label
        pre_save.disconnect(sender=Group, dispatch_uid=f"causeloop_errors.before_save.{label}")
        post_save.disconnect(sender=Group, dispatch_uid=f"causeloop_errors.saved.{label}")
        pre_delete.disconnect(sender=Group, dispatch_uid=f"causeloop_errors.before_delete.{label}")
        post_delete.disconnect(sender=Group, dispatch_uid=f"causeloop_errors.deleted.{label}")
    event = AuditEvent.objects.get(action="group.changed")
    assert event.details["operation"] == "created"
    assert event.details["changes"]["name"] == [None, "support"]
