"""Audit events of requests: they outlive the request's rollback, carry its trace id, hold no secret, and a flood
or a failing write changes nothing the client sees and adds no row per request."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group, User
from django.core.handlers.base import BaseHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.http import HttpResponseBase
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from causeloop_errors import signals, trace
from causeloop_errors.audit import receivers
from causeloop_errors.audit import repeats as audit_repeats
from causeloop_errors.audit import writer as audit
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.audit.repeats import repeats
from causeloop_errors.middleware import MIDDLEWARE_PATH
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import store
from causeloop_errors.ratelimits.models import RateLimitRule
from tests import audit_views
from tests.conftest import RateLimitClock
from tests.contract import assert_envelope
from tests.test_asgi import _call as asgi_call

pytestmark = [
    pytest.mark.urls("tests.urls"),
    pytest.mark.django_db,
    pytest.mark.usefixtures("app_defaults", "no_request_in_flight"),
]

AUDIT_TABLE = AuditEvent._meta.db_table
APP_RECEIVERS = {
    "error_emitted": (signals.error_emitted, receivers.on_error_emitted),
    "policy_denied": (signals.policy_denied, receivers.on_policy_denied),
    "break_glass_used": (signals.break_glass_used, receivers.on_break_glass),
    "rate_limit_exceeded": (signals.rate_limit_exceeded, receivers.on_rate_limit_exceeded),
    "rate_limit_observed": (signals.rate_limit_observed, receivers.on_rate_limit_observed),
    "config_changed": (signals.config_changed, receivers.on_config_changed),
}


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", password="pw")


@pytest.fixture
def dedup_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Pin the clock of the receivers' dedup windows (AUDIT_DEDUP_SECONDS) 40 s into a 60-second window."""
    now = [1_700_000_080.0]
    monkeypatch.setattr(receivers, "time", type("Clock", (), {"time": staticmethod(lambda: now[0])}))
    return now


@pytest.fixture
def atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)


FLOOD_IP = "203.0.113.9"


@pytest.fixture
def flood_clock(ratelimit_clock: RateLimitClock) -> RateLimitClock:
    """Pin django-ratelimit's clock half-way through one of FLOOD_IP's one-hour windows."""
    ratelimit_clock.seconds_left(FLOOD_IP, 3600, 1800)
    return ratelimit_clock


def _token(username: str = "bob", amr: str = "pwd", workspace: str = "acme") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Test {username} {amr}", "HTTP_X_TOKEN_WORKSPACE": workspace}


def _policy(workspace_key: str, **fields: Any) -> WorkspacePolicy:
    policy = WorkspacePolicy.objects.create(workspace_key=workspace_key, **fields)
    store.invalidate()  # what the save's on-commit receiver does once the test's transaction commits
    return policy


def _request_events() -> list[AuditEvent]:
    """Return the events about requests (not the change events of the fixtures' own policies and rules).

    The repeats counted in memory are written first, as ``flush_audit_events`` does: this module runs on the app's
    defaults, where they are written once per ``AUDIT_FLUSH_SECONDS``.
    """
    repeats.flush(force=True)
    return list(AuditEvent.objects.exclude(action__endswith=".changed").order_by("created_at", "pk"))


def _dump_audit_table() -> str:
    """Return every value of every audit row as text."""
    return "\n".join(json.dumps(row, cls=DjangoJSONEncoder) for row in AuditEvent.objects.values())


@contextmanager
def _app_receivers_disconnected() -> Iterator[None]:
    """Disconnect the app's audit receivers by their documented dispatch_uid; reconnect them afterwards."""
    for name, (signal, _) in APP_RECEIVERS.items():
        assert signal.disconnect(dispatch_uid=f"causeloop_errors.audit.{name}"), name
    try:
        yield
    finally:
        for name, (signal, receiver) in APP_RECEIVERS.items():
            signal.connect(receiver, dispatch_uid=f"causeloop_errors.audit.{name}")


# --- an event for a failed request outlives the request's rollback ----------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("failure", "status", "code", "action"),
    [("forbidden", 403, "forbidden", "auth.forbidden"), ("crash", 500, "internal_error", "api.internal_error")],
)
def test_a_failed_drf_request_keeps_its_audit_event_while_its_own_write_is_rolled_back(
    client: Client, bob: User, atomic_requests: None, failure: str, status: int, code: str, action: str
) -> None:
    response = client.post(f"/api/audit/fail/{failure}", **_token())

    error = assert_envelope(response, status, code)
    assert not Group.objects.filter(name=f"written-before-{failure}").exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.code, event.status) == (action, code, status)
    assert event.trace_id == error["trace_id"]


@pytest.mark.django_db(transaction=True)
def test_a_policy_denial_raised_inside_the_requests_transaction_keeps_its_event_while_the_write_is_rolled_back(
    client: Client, bob: User, atomic_requests: None
) -> None:
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store.invalidate()

    response = client.get("/api/audit/checked", **_token())

    assert_envelope(response, 403, "mfa_required")
    assert not Group.objects.exists()
    [event] = _request_events()
    assert (event.action, event.trace_id) == ("policy.mfa_required", response["X-Request-Id"])


@pytest.mark.django_db(transaction=True)
def test_a_rate_limit_refused_inside_the_requests_transaction_keeps_its_event_while_the_write_is_rolled_back(
    client: Client, bob: User, atomic_requests: None, ratelimit_clock: RateLimitClock
) -> None:
    rule = RateLimitRule(name="per-user", rate="1/m", key="user", path_prefix="/api/audit/checked")
    rule.full_clean()
    rule.save()

    passed, refused = client.get("/api/audit/checked", **_token()), client.get("/api/audit/checked", **_token())

    assert passed.status_code == 200
    assert_envelope(refused, 429, "rate_limited")
    assert list(Group.objects.values_list("name", flat=True)) == [f"written-{passed['X-Request-Id']}"]
    [event] = _request_events()
    assert (event.action, event.actor, event.trace_id) == ("ratelimit.exceeded", bob, refused["X-Request-Id"])


@pytest.mark.django_db(transaction=True)
def test_a_crashed_plain_django_view_keeps_its_audit_event_while_its_own_write_is_rolled_back(
    client: Client, atomic_requests: None
) -> None:
    response = client.get("/api/audit/plain-crash")

    error = assert_envelope(response, 500, "internal_error")
    assert not Group.objects.filter(name="written-before-plain-crash").exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.trace_id) == ("api.internal_error", error["trace_id"])


@pytest.mark.django_db(transaction=True)
def test_a_policy_change_rolled_back_leaves_no_change_event() -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    created = AuditEvent.objects.get()

    with pytest.raises(RuntimeError), transaction.atomic():
        policy.require_mfa = True
        policy.save()
        WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)
        assert AuditEvent.objects.count() == 3  # written inside the change's own transaction...
        raise RuntimeError("the change fails after the policy rows were written")

    assert list(AuditEvent.objects.all()) == [created]  # ...and undone with it
    assert created.details["operation"] == "created"


@pytest.mark.django_db(transaction=True)
def test_a_policy_saved_in_the_admin_is_recorded_with_the_admin_as_actor_a_diff_and_the_admin_requests_trace_id(
    client: Client,
) -> None:
    root = User.objects.create_superuser("root", password="pw")
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    client.force_login(root)
    url = f"/admin/causeloop_policies/workspacepolicy/{policy.pk}/change/"

    response = client.post(url, {"workspace_key": "acme", "require_mfa": "on", "exempt_service_accounts": "on"})

    assert response.status_code == 302, response.content[:500]
    event = AuditEvent.objects.get(details__operation="changed")
    assert event.action == "policy.changed"
    assert (event.actor, event.actor_username) == (root, "root")
    assert event.details["changes"] == {"require_mfa": [False, True]}
    assert event.trace_id == response["X-Request-Id"]
    assert (event.method, event.path, event.workspace_key) == ("POST", url, "acme")


# --- the event's fields ------------------------------------------------------------------------------------------


def test_the_event_has_the_trace_id_of_the_envelope_and_of_x_request_id(client: Client, bob: User) -> None:
    response = client.get("/api/audit/fail/forbidden", **_token())

    error = assert_envelope(response, 403, "forbidden")
    event = AuditEvent.objects.get()
    assert event.trace_id == event.last_trace_id == error["trace_id"] == response["X-Request-Id"]


@pytest.mark.parametrize(
    ("path", "authenticated", "action", "code", "status"),
    [
        ("/api/policy/protected", False, "auth.unauthorized", "unauthorized", 401),
        ("/api/audit/fail/unauthorized", True, "auth.unauthorized", "unauthorized", 401),
        ("/api/audit/fail/invalid_grant", True, "auth.invalid_grant", "invalid_grant", 401),
        ("/api/audit/fail/forbidden", True, "auth.forbidden", "forbidden", 403),
        ("/api/audit/fail/crash", True, "api.internal_error", "internal_error", 500),
    ],
)
def test_each_audited_answer_is_recorded_with_its_action_code_and_status(
    client: Client, bob: User, path: str, authenticated: bool, action: str, code: str, status: int
) -> None:
    response = client.get(path, **(_token() if authenticated else {}))

    assert_envelope(response, status, code)
    event = AuditEvent.objects.get()
    assert (event.action, event.code, event.status) == (action, code, status)
    assert event.actor_username == ("bob" if authenticated else "")


@pytest.mark.parametrize(
    ("fields", "amr", "action", "code", "details"),
    [
        ({"require_mfa": True}, "pwd", "policy.mfa_required", "mfa_required", "enrollment_required"),
        ({"require_sso": True}, "pwd,otp", "policy.sso_required", "sso_required", None),
    ],
)
def test_a_policy_denial_is_recorded_with_the_workspace_user_and_reason(
    client: Client, bob: User, fields: dict[str, Any], amr: str, action: str, code: str, details: str | None
) -> None:
    _policy("acme", **fields)

    response = client.get("/api/policy/protected", **_token(amr=amr))

    assert_envelope(response, 403, code)
    [event] = _request_events()
    assert (event.action, event.code, event.status, event.workspace_key) == (action, code, 403, "acme")
    assert (event.actor, event.actor_username) == (bob, "bob")
    assert event.details.get("reason") == details
    assert event.trace_id == response["X-Request-Id"]


def test_a_break_glass_pass_is_recorded_although_the_request_succeeds(client: Client, bob: User) -> None:
    policy = _policy("acme", require_sso=True)
    policy.break_glass_users.add(bob)
    store.invalidate()

    response = client.get("/api/policy/protected", **_token())

    assert response.status_code == 200
    [event] = _request_events()
    assert (event.action, event.workspace_key, event.actor_username, event.code) == (
        "policy.break_glass",
        "acme",
        "bob",
        "",
    )
    assert event.trace_id == response["X-Request-Id"]


@pytest.mark.parametrize(
    ("mode", "statuses", "action", "code", "status"),
    [
        ("enforce", [200, 429], "ratelimit.exceeded", "rate_limited", 429),
        ("observe", [200, 200], "ratelimit.observed", "", None),
    ],
)
def test_a_rate_limit_rule_past_its_limit_is_recorded_with_the_rule(
    client: Client,
    flood_clock: RateLimitClock,
    rate_limit_rule: Callable[..., RateLimitRule],
    mode: str,
    statuses: list[int],
    action: str,
    code: str,
    status: int | None,
) -> None:
    rate_limit_rule("api-ip", "1/m", key="ip", path_prefix="/api/rl/", mode=mode)

    responses = [client.get("/api/rl/unthrottled", REMOTE_ADDR="203.0.113.5") for _ in statuses]

    assert [response.status_code for response in responses] == statuses
    [event] = _request_events()
    assert (event.action, event.code, event.status, event.client_ip) == (action, code, status, "203.0.113.5")
    assert event.details == {"rule": "api-ip", "key": "ip", "limit": 1, "window_seconds": 60}
    assert event.trace_id == responses[1]["X-Request-Id"]


def test_the_actor_is_kept_as_a_username_after_the_user_is_deleted(client: Client, bob: User) -> None:
    client.get("/api/audit/fail/forbidden", **_token())
    event = AuditEvent.objects.get()
    assert event.actor == bob

    bob.delete()

    event.refresh_from_db()
    assert (event.actor, event.actor_username) == (None, "bob")


def test_the_client_ip_is_read_through_the_trusted_proxies(client: Client, settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {"TRUSTED_PROXIES": ["10.0.0.0/8"]}

    client.get("/api/audit/fail/unauthorized", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.7")
    client.get("/api/audit/fail/unauthorized", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.99")

    assert [event.client_ip for event in _request_events()] == ["203.0.113.7", "192.0.2.1"]


def test_the_user_agent_is_truncated_and_the_path_has_no_query_string(client: Client) -> None:
    client.get("/api/audit/fail/crash?next=/home&page=2", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 1000)

    event = AuditEvent.objects.get()
    assert event.user_agent == ("Mozilla/5.0 " + "x" * 1000)[:256]
    assert (event.method, event.path) == ("GET", "/api/audit/fail/crash")


def test_the_details_are_the_envelopes_details(client: Client, bob: User) -> None:
    error = assert_envelope(client.get("/api/audit/fail/forbidden", **_token()), 403, "forbidden")

    assert AuditEvent.objects.get().details == error["details"] == {"reason": "not_owner"}


def test_details_over_4_kb_are_replaced_by_a_truncated_preview(client: Client) -> None:
    client.post("/api/audit/details", {"notes": "x" * 10_000, "ticket": "T-1"}, content_type="application/json")

    details = AuditEvent.objects.get().details
    assert details["truncated"] is True
    assert details["preview"].startswith('{"notes": "xxx')
    assert len(json.dumps(details, cls=DjangoJSONEncoder, ensure_ascii=False).encode()) <= audit.MAX_DETAILS_BYTES


def test_details_full_of_quotes_are_still_stored_within_4_kb(client: Client) -> None:
    client.post("/api/audit/details", {"tags": ["a"] * 3000}, content_type="application/json")

    details = AuditEvent.objects.get().details
    assert len(json.dumps(details, cls=DjangoJSONEncoder, ensure_ascii=False).encode()) <= audit.MAX_DETAILS_BYTES


def test_a_request_with_an_overlong_method_is_still_recorded_with_the_method_cut_to_its_column(
    client: Client,
) -> None:
    response = client.generic("BRUTEFORCEX", "/api/policy/protected")

    assert_envelope(response, 401, "unauthorized")
    event = AuditEvent.objects.get()
    assert event.method == "BRUTEFORCEX"[: AuditEvent._meta.get_field("method").max_length]


def test_a_forbidden_answer_inside_a_workspace_is_recorded_with_that_workspace(client: Client, bob: User) -> None:
    client.get("/api/audit/w/acme/fail/forbidden", **_token())

    assert AuditEvent.objects.get().workspace_key == "acme"


def test_no_password_token_otp_code_or_query_string_secret_is_ever_stored(
    client: Client, bob: User, flood_clock: RateLimitClock, rate_limit_rule: Callable[..., RateLimitRule]
) -> None:
    password, bearer, otp, query_secret = "pw-Hunter-3141", "clk_bearer_2718281828", "60221407", "qs_secret_1618"
    rate_limit_rule("login-ip", "1/m", key="ip", path_prefix="/auth/")
    _policy("acme", require_mfa=True)
    login = {"username": "bob", "password": password, "otp": otp}
    bearer_header = {"HTTP_AUTHORIZATION": f"Bearer {bearer}"}

    responses = [
        client.post(f"/auth/token?api_key={query_secret}", login, content_type="application/json", **bearer_header),
        client.post(f"/auth/token?password={query_secret}", login, content_type="application/json", **bearer_header),
        client.get(f"/api/audit/fail/crash?token={query_secret}&otp={otp}", **bearer_header),
        client.get(f"/api/policy/protected?code={otp}&secret={query_secret}", **_token()),
        client.post(
            f"/api/audit/details?access_token={query_secret}",
            {"password": password, "otp": otp, "api_token": bearer, "note": "kept"},
            content_type="application/json",
        ),
    ]

    assert [response.status_code for response in responses] == [401, 429, 500, 403, 403]
    assert [event.action for event in _request_events()] == [
        "auth.unauthorized",
        "ratelimit.exceeded",
        "api.internal_error",
        "policy.mfa_required",
        "auth.forbidden",
    ]
    dump = _dump_audit_table()
    assert "kept" in dump and "/auth/token" in dump  # the dump does hold the events' details and paths
    for secret in (password, bearer, otp, query_secret, "hunter2"):
        assert secret not in dump, secret


# --- which codes are recorded ------------------------------------------------------------------------------------


def test_by_default_not_found_validation_and_conflict_answers_are_not_recorded(client: Client, bob: User) -> None:
    assert_envelope(client.get("/api/no-such-endpoint"), 404, "not_found")
    assert_envelope(client.get("/api/audit/fail/not_found", **_token()), 404, "not_found")
    assert_envelope(client.get("/api/audit/fail/validation_error", **_token()), 400, "validation_error")
    assert_envelope(client.get("/api/audit/fail/conflict", **_token()), 409, "conflict")
    assert not AuditEvent.objects.exists()

    assert_envelope(client.get("/api/audit/fail/forbidden", **_token()), 403, "forbidden")
    assert AuditEvent.objects.count() == 1


def test_audit_codes_setting_chooses_the_codes_recorded(client: Client, bob: User, settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {"AUDIT_CODES": ["conflict", "mfa_required"]}
    _policy("acme", require_sso=True)

    client.get("/api/audit/fail/conflict", **_token())
    client.get("/api/audit/fail/forbidden", **_token())
    client.get("/api/audit/fail/crash", **_token())
    client.get("/api/policy/protected", **_token())  # sso_required: not listed

    [event] = _request_events()
    assert (event.action, event.code, event.status) == ("api.conflict", "conflict", 409)


def test_a_policy_denial_is_one_policy_event_not_also_a_generic_one(client: Client, bob: User) -> None:
    _policy("acme", require_mfa=True)

    client.get("/api/policy/protected", **_token())

    assert [event.action for event in _request_events()] == ["policy.mfa_required"]


def test_a_refused_rate_limit_is_one_ratelimit_event_not_also_a_generic_one(
    client: Client, flood_clock: RateLimitClock, rate_limit_rule: Callable[..., RateLimitRule]
) -> None:
    rate_limit_rule("api-ip", "1/m", key="ip", path_prefix="/api/rl/")

    client.get("/api/rl/unthrottled")
    client.get("/api/rl/unthrottled")

    assert [event.action for event in _request_events()] == ["ratelimit.exceeded"]


# --- nothing amplified -------------------------------------------------------------------------------------------


@pytest.fixture
def bare_handler(settings: Any, caplog: pytest.LogCaptureFixture) -> Iterator[BaseHandler]:
    """Return Django's request handler with the envelope middleware alone, and forget its last request after.

    Requests go through the real handler: URL resolution, ``process_view`` (where IP rules are counted), the
    middleware's ``_after_view`` (``error_emitted``, then the audit flush). Only the project's other middleware
    (sessions, CSRF, auth, OTP, messages), which a refusal before the view never needs, is left out, and Django's
    "Too Many Requests" warning is not printed ten thousand times.
    """
    caplog.set_level(logging.ERROR, logger="django.request")
    settings.MIDDLEWARE = [MIDDLEWARE_PATH]
    handler = BaseHandler()
    handler.load_middleware()
    yield handler
    trace.clear_trace_id()  # the WSGI handler does it when the response is closed; this bare one never does


def test_ten_thousand_refused_requests_from_one_ip_in_one_window_are_one_event_counting_them_all(
    bare_handler: BaseHandler, flood_clock: RateLimitClock, rate_limit_rule: Callable[..., RateLimitRule]
) -> None:
    rate_limit_rule("flood-ip", "1/h", key="ip", path_prefix="/api/rl/unthrottled")
    factory = RequestFactory()
    flood = 10_000
    assert bare_handler.get_response(factory.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP)).status_code == 200

    started = time.perf_counter()
    statuses: dict[int, int] = {}
    for _ in range(flood):
        response = bare_handler.get_response(factory.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP))
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    elapsed = time.perf_counter() - started

    events = _request_events()
    print(
        f"\nflood: {flood} refused requests -> {len(events)} audit row(s), "
        f"occurrences {[event.occurrences for event in events]}, {elapsed:.1f} s ({connection.vendor})"
    )
    assert statuses == {429: flood}
    [event] = events
    assert (event.action, event.occurrences, event.client_ip) == ("ratelimit.exceeded", flood, FLOOD_IP)
    assert event.last_trace_id == response["X-Request-Id"] != event.trace_id


def test_a_new_rate_limit_window_starts_a_new_event(
    client: Client, flood_clock: RateLimitClock, rate_limit_rule: Callable[..., RateLimitRule]
) -> None:
    rate_limit_rule("flood-ip", "1/h", key="ip", path_prefix="/api/rl/unthrottled")
    statuses = [client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP).status_code for _ in range(3)]

    flood_clock.advance(3600)  # the same moment of the next window
    statuses += [client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP).status_code for _ in range(4)]

    assert statuses == [200, 429, 429, 200, 429, 429, 429]
    assert [(event.action, event.occurrences) for event in _request_events()] == [
        ("ratelimit.exceeded", 2),
        ("ratelimit.exceeded", 3),
    ]


def test_a_second_boundary_passing_while_a_request_is_counted_does_not_split_the_windows_event(
    client: Client,
    flood_clock: RateLimitClock,
    rate_limit_rule: Callable[..., RateLimitRule],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from causeloop_errors.ratelimits import decisions as ratelimits

    rate_limit_rule("flood-ip", "1/h", key="ip", path_prefix="/api/rl/unthrottled")
    flood_clock.now = int(flood_clock.now) + 0.9  # 0.1 s before a second boundary
    counted = ratelimits.get_usage
    calls = []

    def get_usage_while_the_second_turns(*args: Any, **kwargs: Any) -> Any:
        usage = counted(*args, **kwargs)
        calls.append(usage)
        if len(calls) == 3:  # the clock turns a second just after django-ratelimit read it for the third request
            flood_clock.advance(0.2)
        return usage

    monkeypatch.setattr(ratelimits, "get_usage", get_usage_while_the_second_turns)

    statuses = [client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP).status_code for _ in range(4)]

    assert statuses == [200, 429, 429, 429]
    assert [(event.action, event.occurrences) for event in _request_events()] == [("ratelimit.exceeded", 3)]


def test_repeated_identical_policy_denials_share_one_event_until_the_dedup_window_ends(
    client: Client, bob: User, dedup_clock: list[float], settings: Any
) -> None:
    settings.CAUSELOOP_ERRORS = {"AUDIT_DEDUP_SECONDS": 60}
    now = dedup_clock  # 40 s into a 60-second window
    _policy("acme", require_mfa=True)

    traces = [client.get("/api/policy/protected", **_token())["X-Request-Id"] for _ in range(5)]
    now[0] += 19  # still the same window
    traces.append(client.get("/api/policy/protected", **_token())["X-Request-Id"])
    now[0] += 2  # the next one
    traces.append(client.get("/api/policy/protected", **_token())["X-Request-Id"])

    first, second = _request_events()
    assert (first.action, first.occurrences, first.trace_id, first.last_trace_id) == (
        "policy.mfa_required",
        6,
        traces[0],
        traces[5],
    )
    assert (second.action, second.occurrences, second.trace_id) == ("policy.mfa_required", 1, traces[6])


def test_repeated_failed_logins_from_one_ip_share_one_event(client: Client, dedup_clock: list[float]) -> None:
    for _ in range(3):
        assert_envelope(client.post("/auth/token", {"username": "x"}), 401, "unauthorized")

    [event] = _request_events()
    assert (event.action, event.occurrences) == ("auth.unauthorized", 3)


def test_repeated_crashes_of_one_route_and_class_are_one_event_that_keeps_the_first_full_row(
    client: Client, dedup_clock: list[float]
) -> None:
    traces = [client.get("/api/audit/fail/crash", HTTP_USER_AGENT=f"agent-{n}")["X-Request-Id"] for n in range(3)]
    other_route = client.get("/api/raise/crash")["X-Request-Id"]

    first, second = _request_events()
    assert (first.action, first.occurrences, first.trace_id, first.last_trace_id) == (
        "api.internal_error",
        3,
        traces[0],
        traces[-1],
    )
    assert (first.path, first.user_agent) == ("/api/audit/fail/crash", "agent-0")  # the first request's row
    assert (second.occurrences, second.trace_id, second.path) == (1, other_route, "/api/raise/crash")


def test_crashes_of_one_route_with_another_exception_class_are_another_event(
    client: Client, monkeypatch: pytest.MonkeyPatch, dedup_clock: list[float]
) -> None:
    client.get("/api/audit/fail/crash")
    monkeypatch.setitem(audit_views.FAILURES, "crash", lambda: KeyError("session"))
    client.get("/api/audit/fail/crash")
    client.get("/api/audit/fail/crash")

    assert [event.occurrences for event in _request_events()] == [1, 2]


def test_anonymous_refusals_on_two_thousand_random_paths_and_invented_methods_are_one_event_per_ip(
    client: Client, dedup_clock: list[float]
) -> None:
    # The dedup window's clock is pinned: 2,000 requests on a loaded machine may straddle a minute.
    for n in range(1800):
        path = f"/api/audit/fail/unauthorized?x={n}" if n % 2 else f"/api/audit/w/{uuid.uuid4().hex}/fail/unauthorized"
        assert client.get(path, REMOTE_ADDR="203.0.113.20").status_code == 401
    for n in range(200):  # a view that authenticates before it looks at the method: any token is a 401
        assert client.generic(f"INVENTED{n}", "/api/policy/protected", REMOTE_ADDR="203.0.113.20").status_code == 401
    client.get("/api/audit/fail/unauthorized", REMOTE_ADDR="203.0.113.21")  # another client: its own event
    client.get("/api/audit/fail/unauthorized", REMOTE_ADDR="2001:db8:1:2::1")
    client.get("/api/audit/fail/unauthorized", REMOTE_ADDR="2001:db8:1:2::ffff")  # the same /64

    events = _request_events()
    assert [(event.client_ip, event.occurrences) for event in events] == [
        ("203.0.113.20", 2000),
        ("203.0.113.21", 1),
        ("2001:db8:1:2::1", 2),
    ]


def test_an_authenticated_users_refusals_are_merged_per_route_not_per_path(
    client: Client, bob: User, dedup_clock: list[float]
) -> None:
    for name in ("acme", "globex", "initech"):
        client.get(f"/api/audit/w/{name}/fail/forbidden", **_token())
    client.get("/api/audit/fail/forbidden", **_token())

    assert [event.occurrences for event in _request_events()] == [3, 1]


def test_a_path_the_database_cannot_store_is_recorded_cleaned(client: Client) -> None:
    response = client.get("/api/audit/w/a%00b%ED%A0%80/fail/unauthorized", HTTP_USER_AGENT="ua\x00\ud800")

    [event] = _request_events()
    assert event.trace_id == response["X-Request-Id"]
    assert "\x00" not in event.path and "\x00" not in event.user_agent
    assert event.path.startswith("/api/audit/w/a\ufffdb")
    assert event.user_agent == "ua\ufffd?"


# --- query cost --------------------------------------------------------------------------------------------------


def _audit_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if AUDIT_TABLE in query["sql"]]


def _inserts(sqls: list[str]) -> int:
    return sum(1 for sql in sqls if sql.startswith("INSERT"))


def test_an_audited_request_costs_one_insert_and_its_repeats_no_query_until_they_are_flushed(
    client: Client, bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.get("/api/audit/fail/not_found", **_token())  # warm up the rule and policy snapshots

    with CaptureQueriesContext(connection) as first, django_capture_on_commit_callbacks(execute=True):
        client.get("/api/audit/fail/forbidden", **_token())
    with CaptureQueriesContext(connection) as repeated:
        for _ in range(5):
            client.get("/api/audit/fail/forbidden", **_token())
    with CaptureQueriesContext(connection) as flushed:
        repeats.flush(force=True)
    with CaptureQueriesContext(connection) as crash:
        client.get("/api/audit/fail/crash", **_token())

    assert _inserts(_audit_queries(first)) == len(_audit_queries(first)) == 1
    assert _audit_queries(repeated) == []
    [update] = _audit_queries(flushed)
    assert update.startswith("UPDATE")
    assert AuditEvent.objects.get(code="forbidden").occurrences == 6
    assert _inserts(_audit_queries(crash)) == len(_audit_queries(crash)) == 1


def test_a_repeat_moves_last_seen_and_last_trace_id_and_keeps_the_first(client: Client, bob: User) -> None:
    first = client.get("/api/audit/fail/forbidden", **_token())
    [event] = AuditEvent.objects.filter(code="forbidden")
    time.sleep(0.01)

    repeat = client.get("/api/audit/fail/forbidden", **_token())
    repeats.flush(force=True)

    event.refresh_from_db()
    assert event.occurrences == 2
    assert (event.trace_id, event.last_trace_id) == (first["X-Request-Id"], repeat["X-Request-Id"])
    assert event.created_at < event.last_seen_at  # written by the repeat, a moment later, as an aware datetime
    assert event.last_seen_at.utcoffset() is not None


def test_a_repeat_recorded_inside_a_transaction_that_rolls_back_is_still_counted(client: Client, bob: User) -> None:
    dedup = "forbidden-repeat"
    audit.record("auth.forbidden", code="forbidden", status=403, dedup=dedup)

    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                audit.record("auth.forbidden", code="forbidden", status=403, dedup=dedup)
                raise RuntimeError("the caller's work fails")
        except RuntimeError:
            pass
    repeats.flush(force=True)

    assert AuditEvent.objects.get(dedup_key=audit._digest(dedup)).occurrences == 2
    assert _inserts(_audit_queries(queries)) <= 1  # at most the INSERT that finds the row there (IntegrityError)


def test_a_flood_costs_no_query_within_the_flush_interval_and_one_update_when_a_request_crosses_it(
    client: Client,
    flood_clock: RateLimitClock,
    rate_limit_rule: Callable[..., RateLimitRule],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rate_limit_rule("flood-ip", "1/h", key="ip", path_prefix="/api/rl/unthrottled")
    clock = [1000.0]
    monkeypatch.setattr(audit_repeats, "time", type("Clock", (), {"monotonic": staticmethod(lambda: clock[0])}))
    client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP)
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP)  # the first refusal: its row

    with CaptureQueriesContext(connection) as within:
        for _ in range(50):
            client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP)
    clock[0] += 5  # AUDIT_FLUSH_SECONDS (the default) after the first repeat was counted
    with CaptureQueriesContext(connection) as crossing:
        client.get("/api/rl/unthrottled", REMOTE_ADDR=FLOOD_IP)

    assert _audit_queries(within) == []
    [update] = _audit_queries(crossing)
    assert update.startswith("UPDATE")
    assert AuditEvent.objects.get(action="ratelimit.exceeded").occurrences == 52


@pytest.mark.parametrize(
    ("path", "authenticated", "status"),
    [("/api/no-such-endpoint", False, 404), ("/api/ok", False, 200), ("/api/policy/protected", True, 200)],
)
def test_an_unaudited_request_costs_no_query_more_than_without_the_audit_receivers(
    client: Client, bob: User, path: str, authenticated: bool, status: int
) -> None:
    headers = _token() if authenticated else {}
    client.get(path, **headers)  # warm up

    with CaptureQueriesContext(connection) as audited:
        assert client.get(path, **headers).status_code == status
    with _app_receivers_disconnected(), CaptureQueriesContext(connection) as unaudited:
        assert client.get(path, **headers).status_code == status

    assert len(audited) == len(unaudited)
    assert _audit_queries(audited) == []


# --- failing to write never changes the response -----------------------------------------------------------------


def _body_without_trace_id(response: HttpResponseBase) -> dict[str, Any]:
    body = json.loads(response.content)
    body["error"].pop("trace_id")
    return dict(body)


def _headers_without_request_id(response: HttpResponseBase) -> dict[str, str]:
    return {name: value for name, value in response.headers.items() if name != "X-Request-Id"}


@pytest.mark.parametrize(("failure", "action"), [("forbidden", "auth.forbidden"), ("crash", "api.internal_error")])
def test_a_failing_audit_write_leaves_the_response_untouched_and_logs_the_trace_id(
    client: Client,
    bob: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: str,
    action: str,
) -> None:
    written = client.get(f"/api/audit/fail/{failure}", **_token())
    AuditEvent.objects.all().delete()

    def unavailable(**fields: Any) -> AuditEvent:
        raise RuntimeError("the audit database is unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", unavailable)
    caplog.handler.addFilter(trace.TraceIdFilter())  # what the host's LOGGING does (see the example settings)
    caplog.set_level(logging.ERROR, logger="causeloop_errors")

    response = client.get(f"/api/audit/fail/{failure}", **_token())

    assert (response.status_code, _body_without_trace_id(response)) == (
        written.status_code,
        _body_without_trace_id(written),
    )
    assert _headers_without_request_id(response) == _headers_without_request_id(written)
    assert_envelope(response, written.status_code, json.loads(written.content)["error"]["code"])
    assert not AuditEvent.objects.exists()
    [record] = [record for record in caplog.records if record.getMessage().startswith("Could not write")]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == f"Could not write the audit event {action}"
    assert record.trace_id == response["X-Request-Id"]  # type: ignore[attr-defined]
    assert "the audit database is unavailable" in caplog.text


def test_a_failing_change_event_write_does_not_undo_the_admin_save(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    client.force_login(User.objects.create_superuser("root", password="pw"))

    def unavailable(**fields: Any) -> AuditEvent:
        raise RuntimeError("the audit database is unavailable")

    monkeypatch.setattr(AuditEvent.objects, "create", unavailable)

    response = client.post(
        f"/admin/causeloop_policies/workspacepolicy/{policy.pk}/change/",
        {"workspace_key": "acme", "require_mfa": "on", "exempt_service_accounts": "on"},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.require_mfa is True
    assert "Could not write the audit event policy.changed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_database_error_writing_a_change_event_does_not_undo_the_admin_save(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme")
    client.force_login(User.objects.create_superuser("root", password="pw"))
    monkeypatch.setattr(AuditEvent._meta, "db_table", "causeloop_audit_table_that_is_gone")

    response = client.post(
        f"/admin/causeloop_policies/workspacepolicy/{policy.pk}/change/",
        {"workspace_key": "acme", "require_mfa": "on", "exempt_service_accounts": "on"},
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.require_mfa is True


# --- ASGI --------------------------------------------------------------------------------------------------------


def test_an_audited_failure_served_over_asgi_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)
    # As Django's own test clients do: the test's connection must outlive the request (CONN_MAX_AGE = 0 closes it).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        status, headers, _ = async_to_sync(asgi_call)("/api/audit/fail/forbidden")
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)

    assert status == 403
    event = AuditEvent.objects.get()
    assert (event.action, event.trace_id) == ("auth.forbidden", headers["x-request-id"])
