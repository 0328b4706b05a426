"""The documented signals and the app's receivers: hosts connect their own and can disconnect the app's; model
saves, deletions and break-glass edits become ``config_changed`` with before/after values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.dispatch import Signal
from django.http import HttpRequest
from django.test import Client

from causeloop_errors import signals
from causeloop_errors.audit import receivers
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.middleware import ErrorEnvelopeMiddleware
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import store
from causeloop_errors.ratelimits.models import RateLimitRule
from tests.conftest import RateLimitClock

pytestmark = [
    pytest.mark.urls("tests.urls"),
    pytest.mark.django_db,
    pytest.mark.usefixtures("app_defaults", "no_request_in_flight"),
]

APP_RECEIVERS = {
    "error_emitted": (signals.error_emitted, receivers.on_error_emitted),
    "policy_denied": (signals.policy_denied, receivers.on_policy_denied),
    "break_glass_used": (signals.break_glass_used, receivers.on_break_glass),
    "rate_limit_exceeded": (signals.rate_limit_exceeded, receivers.on_rate_limit_exceeded),
    "rate_limit_observed": (signals.rate_limit_observed, receivers.on_rate_limit_observed),
    "config_changed": (signals.config_changed, receivers.on_config_changed),
}
# The keyword arguments signals.py documents for each signal (Django adds ``signal`` itself).
DOCUMENTED_KWARGS = {
    "error_emitted": {"request", "code", "status", "details"},
    "policy_denied": {"request", "user", "workspace_key", "code", "details"},
    "break_glass_used": {"request", "user", "workspace_key"},
    "rate_limit_exceeded": {
        "request",
        "rule",
        "key",
        "counted",
        "limit",
        "window_seconds",
        "retry_after",
        "window_end",
    },
    "rate_limit_observed": {
        "request",
        "rule",
        "key",
        "counted",
        "limit",
        "window_seconds",
        "retry_after",
        "window_end",
    },
    "config_changed": {"instance", "operation", "changes"},
}


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", password="pw")


@pytest.fixture
def app_receivers_disconnected() -> Iterator[None]:
    """Disconnect the app's audit receivers the way a host does: by their documented dispatch_uid."""
    for name, (signal, _) in APP_RECEIVERS.items():
        assert signal.disconnect(dispatch_uid=f"causeloop_errors.audit.{name}"), name
    yield
    for name, (signal, receiver) in APP_RECEIVERS.items():
        signal.connect(receiver, dispatch_uid=f"causeloop_errors.audit.{name}")


@pytest.fixture
def host_receivers() -> Iterator[dict[str, list[tuple[Any, dict[str, Any]]]]]:
    """Connect a host's receiver (e.g. a SIEM shipper) to every documented signal; return what each received."""
    received: dict[str, list[tuple[Any, dict[str, Any]]]] = {name: [] for name in APP_RECEIVERS}

    def listener(name: str) -> Callable[..., None]:
        def receive(sender: Any, **kwargs: Any) -> None:
            received[name].append((sender, kwargs))

        return receive

    connected: list[tuple[Signal, str]] = []
    for name, (signal, _) in APP_RECEIVERS.items():
        uid = f"host.siem.{name}"
        signal.connect(listener(name), weak=False, dispatch_uid=uid)
        connected.append((signal, uid))
    yield received
    for signal, uid in connected:
        signal.disconnect(dispatch_uid=uid)


def _token(username: str = "bob", amr: str = "pwd", workspace: str = "acme") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Test {username} {amr}", "HTTP_X_TOKEN_WORKSPACE": workspace}


def _drive_every_signal(client: Client, bob: User, rate_limit_rule: Callable[..., RateLimitRule]) -> None:
    """Make the app send each documented signal at least once."""
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)  # config_changed
    globex = WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)
    globex.break_glass_users.add(bob)
    store.invalidate()
    rate_limit_rule("api-ip", "1/m", key="ip", path_prefix="/api/rl/unthrottled")
    rate_limit_rule("other-ip", "1/m", key="ip", path_prefix="/api/rl/other", mode="observe")

    assert client.get("/api/policy/protected", **_token()).status_code == 403  # policy_denied, error_emitted
    assert client.get("/api/policy/protected", **_token(workspace="globex")).status_code == 200  # break_glass_used
    assert [client.get("/api/rl/unthrottled").status_code for _ in range(2)] == [200, 429]  # rate_limit_exceeded
    assert [client.get("/api/rl/other").status_code for _ in range(2)] == [200, 200]  # rate_limit_observed


def test_a_host_receiver_gets_every_documented_signal_with_its_documented_kwargs(
    client: Client,
    bob: User,
    rate_limit_rule: Callable[..., RateLimitRule],
    ratelimit_clock: RateLimitClock,
    host_receivers: dict[str, list[tuple[Any, dict[str, Any]]]],
) -> None:
    _drive_every_signal(client, bob, rate_limit_rule)

    for name, calls in host_receivers.items():
        assert calls, f"{name} was never sent"
        for _, kwargs in calls:
            assert set(kwargs) - {"signal"} == DOCUMENTED_KWARGS[name], name

    [(sender, denied)] = host_receivers["policy_denied"]
    assert sender is WorkspacePolicy
    assert isinstance(denied["request"], HttpRequest)
    assert (denied["user"], denied["workspace_key"], denied["code"]) == (bob, "acme", "mfa_required")
    assert denied["details"] == {"workspace": "acme", "reason": "enrollment_required"}

    [(sender, glass)] = host_receivers["break_glass_used"]
    assert (sender, glass["user"], glass["workspace_key"]) == (WorkspacePolicy, bob, "globex")

    emitted = [(sender, kwargs["code"], kwargs["status"]) for sender, kwargs in host_receivers["error_emitted"]]
    assert emitted == [(ErrorEnvelopeMiddleware, "mfa_required", 403), (ErrorEnvelopeMiddleware, "rate_limited", 429)]

    [(sender, exceeded)] = host_receivers["rate_limit_exceeded"]
    assert sender is RateLimitRule
    assert {key: exceeded[key] for key in ("rule", "key", "counted", "limit", "window_seconds")} == {
        "rule": "api-ip",
        "key": "ip",
        "counted": "127.0.0.1",
        "limit": 1,
        "window_seconds": 60,
    }
    assert 1 <= exceeded["retry_after"] <= 60
    assert exceeded["window_end"] > ratelimit_clock.now
    [(sender, observed)] = host_receivers["rate_limit_observed"]
    assert (sender, observed["rule"]) == (RateLimitRule, "other-ip")

    changed = [
        (sender, kwargs["operation"], str(kwargs["instance"])) for sender, kwargs in host_receivers["config_changed"]
    ]
    assert (WorkspacePolicy, "created", "acme") in changed
    assert (RateLimitRule, "created", "api-ip (1/m per client IP)") in changed


def test_after_disconnecting_the_apps_receivers_by_dispatch_uid_no_event_is_written_but_host_receivers_still_hear(
    client: Client,
    bob: User,
    rate_limit_rule: Callable[..., RateLimitRule],
    ratelimit_clock: RateLimitClock,
    app_receivers_disconnected: None,
    host_receivers: dict[str, list[tuple[Any, dict[str, Any]]]],
) -> None:
    _drive_every_signal(client, bob, rate_limit_rule)
    client.get("/api/audit/fail/crash")

    assert not AuditEvent.objects.exists()
    assert all(host_receivers.values())


def test_with_the_apps_receivers_connected_the_same_requests_are_recorded(
    client: Client, bob: User, rate_limit_rule: Callable[..., RateLimitRule], ratelimit_clock: RateLimitClock
) -> None:
    _drive_every_signal(client, bob, rate_limit_rule)

    actions = sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    assert actions == [
        "policy.break_glass",
        "policy.changed",
        "policy.mfa_required",
        "ratelimit.exceeded",
        "ratelimit.observed",
        "ratelimit_rule.changed",
    ]


def test_a_host_receiver_that_fails_on_error_emitted_changes_nothing_the_client_gets(client: Client, bob: User) -> None:
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("SIEM unreachable")

    signals.error_emitted.connect(broken, weak=False, dispatch_uid="host.broken")
    try:
        response = client.get("/api/audit/fail/forbidden", **_token())
    finally:
        signals.error_emitted.disconnect(dispatch_uid="host.broken")

    assert response.status_code == 403
    assert AuditEvent.objects.get().action == "auth.forbidden"


# --- model signals -> config_changed -> policy.changed / ratelimit_rule.changed ------------------------------------


def _changes() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (event.action, event.details["operation"], event.details["changes"])
        for event in AuditEvent.objects.order_by("pk")
    ]


def test_creating_changing_and_deleting_a_policy_records_each_with_before_and_after_values() -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    policy.require_sso = True
    policy.exempt_service_accounts = False
    policy.save()
    policy.delete()

    created, changed, deleted = _changes()
    assert created[:2] == ("policy.changed", "created")
    assert created[2]["workspace_key"] == [None, "acme"] and created[2]["require_sso"] == [None, False]
    assert changed == (
        "policy.changed",
        "changed",
        {"require_sso": [False, True], "exempt_service_accounts": [True, False]},
    )
    assert deleted[:2] == ("policy.changed", "deleted")
    assert deleted[2]["require_sso"] == [True, None]
    assert all(event.workspace_key == "acme" for event in AuditEvent.objects.all())


def test_saving_a_policy_without_a_change_records_nothing() -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")

    policy.save()  # only updated_at moves

    assert [operation for _, operation, _ in _changes()] == ["created"]


def test_break_glass_users_added_and_removed_are_recorded_as_sorted_user_ids(bob: User) -> None:
    alice = User.objects.create_user("alice")
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_sso=True)

    policy.break_glass_users.add(bob, alice)
    policy.break_glass_users.remove(bob)

    *_, added, removed = _changes()
    assert added == ("policy.changed", "changed", {"break_glass_users": [[], sorted([bob.pk, alice.pk])]})
    assert removed == ("policy.changed", "changed", {"break_glass_users": [sorted([bob.pk, alice.pk]), [alice.pk]]})


def test_a_rate_limit_rule_change_is_recorded_as_ratelimit_rule_changed(
    rate_limit_rule: Callable[..., RateLimitRule],
) -> None:
    rule = rate_limit_rule("login-ip", "10/m", workspace_key="acme")
    rule.rate = "5/m"
    rule.save()

    *_, changed = _changes()
    assert changed == ("ratelimit_rule.changed", "changed", {"rate": ["10/m", "5/m"]})
    assert AuditEvent.objects.last().workspace_key == "acme"  # type: ignore[union-attr]


def test_a_change_outside_any_request_has_no_actor_and_no_request_fields() -> None:
    WorkspacePolicy.objects.create(workspace_key="acme")

    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_username, event.method, event.path, event.client_ip) == (None, "", "", "", None)
    assert event.trace_id == "-"


def test_deleting_a_policy_records_who_had_break_glass_before(bob: User) -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_sso=True)
    policy.break_glass_users.add(bob)

    policy.delete()

    *_, deleted = _changes()
    assert deleted[:2] == ("policy.changed", "deleted")
    assert deleted[2]["break_glass_users"] == [[bob.pk], None]
