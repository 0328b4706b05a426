"""Counting and answering: windows and Retry-After, the 429, pacing headers, several rules, observe, faults, cost."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext

from causeloop_errors import signals
from causeloop_errors.ratelimits import decisions as ratelimits
from causeloop_errors.ratelimits import store as rules
from causeloop_errors.ratelimits.models import RateLimitRule
from causeloop_errors.trace import TraceIdFilter
from tests.conftest import RateLimitClock
from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]

IP = "127.0.0.1"  # the test client's REMOTE_ADDR
COUNTED = "/api/rl/counted"
PACING = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
Make = Callable[..., RateLimitRule]


@pytest.fixture
def clock(ratelimit_clock: RateLimitClock) -> RateLimitClock:
    ratelimit_clock.seconds_left(IP, 60, 30)
    return ratelimit_clock


def _pacing(response: Any) -> tuple[str | None, ...]:
    return tuple(response.get(name) for name in PACING)


def _exposed(response: Any) -> set[str]:
    return {name.strip() for name in response.get("Access-Control-Expose-Headers", "").split(",")}


class _Received:
    """Every send of a signal: its keyword arguments."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture
def exceeded() -> Iterator[_Received]:
    received = _Received()
    signals.rate_limit_exceeded.connect(received, weak=False)
    yield received
    signals.rate_limit_exceeded.disconnect(received)


@pytest.fixture
def observed() -> Iterator[_Received]:
    received = _Received()
    signals.rate_limit_observed.connect(received, weak=False)
    yield received
    signals.rate_limit_observed.disconnect(received)


class _Records(logging.Handler):
    """WARNING records of the app's logger, with the trace id the documented filter puts on them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.addFilter(TraceIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def app_warnings() -> Iterator[list[logging.LogRecord]]:
    handler = _Records()
    logger = logging.getLogger("causeloop_errors")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


# --- windows and Retry-After ---------------------------------------------------------------------------------


def test_eleventh_request_in_the_window_gets_429_with_the_contract_message_and_details(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("api-ip", "10/m", path_prefix="/api/rl/")
    assert [client.get(COUNTED).status_code for _ in range(10)] == [200] * 10
    response = client.get(COUNTED)
    error = assert_envelope(response, 429, "rate_limited")
    assert error["message"] == "Too many requests from this IP."
    assert error["details"] == {
        "rule": "api-ip",
        "limit": 10,
        "window_seconds": 60,
        "retry_after": int(response["Retry-After"]),
    }


def test_retry_after_counts_down_with_the_window_and_matches_details_and_reset(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    admitted = client.get(COUNTED)
    refused = client.get(COUNTED)
    wait = int(refused["Retry-After"])
    assert 30 <= wait <= 31  # 30.5 s are left in the window
    assert refused.json()["error"]["details"]["retry_after"] == wait
    assert refused["X-RateLimit-Reset"] == admitted["X-RateLimit-Reset"] == str(wait)
    clock.advance(10)
    later = client.get(COUNTED)
    assert int(later["Retry-After"]) == wait - 10 == int(later["X-RateLimit-Reset"])


def test_in_the_last_second_of_a_window_retry_after_is_one_never_zero(
    client: Client, ratelimit_clock: RateLimitClock, rate_limit_rule: Make, exceeded: _Received, observed: _Received
) -> None:
    ratelimit_clock.seconds_left(IP, 60, 0)
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    rate_limit_rule("trial", "1/m", path_prefix="/api/rl/", mode="observe")
    client.get(COUNTED)
    response = client.get(COUNTED)
    assert_envelope(response, 429, "rate_limited")
    assert response["Retry-After"] == "1"
    assert response.json()["error"]["details"]["retry_after"] == 1
    assert [call["retry_after"] for call in exceeded.calls + observed.calls] == [1, 1]


def test_in_the_first_second_of_the_next_window_the_count_starts_again(
    client: Client, ratelimit_clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    ratelimit_clock.seconds_left(IP, 60, 0)
    rate_limit_rule("api-ip", "3/m", path_prefix="/api/rl/")
    assert [client.get(COUNTED).status_code for _ in range(4)] == [200, 200, 200, 429]
    ratelimit_clock.advance(1)
    response = client.get(COUNTED)
    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "2"
    assert int(response["X-RateLimit-Reset"]) >= 59


def test_a_client_that_waits_retry_after_seconds_is_let_through(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    client.get(COUNTED)
    refused = client.get(COUNTED)
    assert refused.status_code == 429
    clock.advance(int(refused["Retry-After"]))
    assert client.get(COUNTED).status_code == 200


def test_retry_after_and_reset_round_the_wait_up_to_the_next_window(
    client: Client, ratelimit_clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    ratelimit_clock.seconds_left(IP, 60, 30)  # 30.5 s until the next window starts
    client.get(COUNTED)
    assert client.get(COUNTED)["Retry-After"] == "31"
    ratelimit_clock.seconds_left(IP, 60, 0)  # 0.5 s until the next window starts
    assert client.get(COUNTED)["X-RateLimit-Reset"] == "1"


# --- pacing headers --------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_success_and_failure_responses_of_a_covered_request_carry_pacing_headers(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("api-ip", "3/m", path_prefix="/api/rl/")
    responses = [client.get(COUNTED), client.get("/api/rl/fails"), client.get(COUNTED), client.get(COUNTED)]
    assert [response.status_code for response in responses] == [200, 409, 200, 429]
    reset = responses[0]["X-RateLimit-Reset"]
    assert [_pacing(response) for response in responses] == [
        ("3", "2", reset),
        ("3", "1", reset),
        ("3", "0", reset),
        ("3", "0", reset),
    ]
    for response in responses:
        assert set(PACING) <= _exposed(response)
        assert "RateLimit" not in response and "RateLimit-Policy" not in response


def test_requests_no_rule_covers_carry_no_pacing_headers(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("auth-ip", "3/m", path_prefix="/auth/")
    response = client.get(COUNTED)
    assert response.status_code == 200
    assert _pacing(response) == (None, None, None)
    assert not set(PACING) & _exposed(response)


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_ietf_ratelimit_fields_are_sent_only_with_the_setting(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, settings: Any
) -> None:
    rate_limit_rule("api-ip", "3/m", path_prefix="/api/rl/")
    plain = client.get(COUNTED)
    assert "RateLimit-Policy" not in plain and "RateLimit" not in plain
    settings.CAUSELOOP_ERRORS = {"RATELIMIT_IETF_HEADERS": True}
    response = client.get(COUNTED)
    reset = response["X-RateLimit-Reset"]
    assert response["RateLimit-Policy"] == '"api-ip";q=3;w=60'
    assert response["RateLimit"] == f'"api-ip";r=1;t={reset}'
    assert {"RateLimit-Policy", "RateLimit", *PACING} <= _exposed(response)


# --- several rules on one request ------------------------------------------------------------------------------


def test_every_enforcing_rule_is_counted_even_on_a_request_another_rule_refuses(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    tight = rate_limit_rule("tight", "2/m", path_prefix="/api/rl/")
    rate_limit_rule("loose", "5/m", path_prefix="/api/rl/")
    assert [client.get(COUNTED).status_code for _ in range(3)] == [200, 200, 429]
    tight.delete()
    rules.stamp.bump()
    response = client.get(COUNTED)  # the fourth request "loose" has counted
    assert response.status_code == 200
    assert _pacing(response)[:2] == ("5", "1")


def test_retry_after_is_the_longest_wait_among_the_exceeded_rules(
    client: Client, ratelimit_clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    ratelimit_clock.seconds_left(IP, 3600, 1000)
    rate_limit_rule("per-minute", "1/m", path_prefix="/api/rl/")
    rate_limit_rule("per-hour", "1/h", path_prefix="/api/rl/")
    client.get(COUNTED)
    response = client.get(COUNTED)
    error = assert_envelope(response, 429, "rate_limited")
    wait = int(response["Retry-After"])
    assert 1000 <= wait <= 1001
    assert error["details"] == {"rule": "per-hour", "limit": 1, "window_seconds": 3600, "retry_after": wait}
    assert _pacing(response) == ("1", "0", str(wait))


@pytest.mark.parametrize(
    ("minute_rate", "hour_rate", "closest"),
    [("2/m", "5/h", ("2", "1")), ("10/m", "3/h", ("3", "2"))],
)
def test_pacing_headers_follow_the_rule_closest_to_its_limit(
    client: Client,
    clock: RateLimitClock,
    rate_limit_rule: Make,
    minute_rate: str,
    hour_rate: str,
    closest: tuple[str, str],
) -> None:
    rate_limit_rule("a-minute", minute_rate, path_prefix="/api/rl/")
    rate_limit_rule("b-hour", hour_rate, path_prefix="/api/rl/")
    assert _pacing(client.get(COUNTED))[:2] == closest


def test_a_request_is_refused_when_any_one_of_its_rules_is_exceeded(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("whole-api", "100/m", path_prefix="/api/")
    rate_limit_rule("posts", "1/m", path_prefix="/api/rl/", methods="POST")
    assert client.post(COUNTED).status_code == 200
    refused = client.post(COUNTED)
    assert assert_envelope(refused, 429, "rate_limited")["details"]["rule"] == "posts"
    assert client.get(COUNTED).status_code == 200


# --- observe mode and signals ----------------------------------------------------------------------------------


def test_an_observe_rule_never_refuses_and_reports_each_would_be_refusal(
    client: Client,
    clock: RateLimitClock,
    rate_limit_rule: Make,
    observed: _Received,
    exceeded: _Received,
    app_warnings: list[logging.LogRecord],
) -> None:
    rate_limit_rule("trial", "2/m", path_prefix="/api/rl/", mode="observe")
    responses = [client.get(COUNTED) for _ in range(4)]
    assert [response.status_code for response in responses] == [200] * 4
    assert all(_pacing(response) == (None, None, None) for response in responses)
    assert exceeded.calls == []
    assert len(observed.calls) == 2
    call = observed.calls[0]
    assert {"sender", "request", "rule", "key", "limit", "window_seconds", "retry_after"} <= set(call)  # documented
    assert call["sender"] is RateLimitRule
    assert isinstance(call["request"], HttpRequest)  # Django's request, not DRF's
    assert (call["rule"], call["key"], call["limit"], call["window_seconds"]) == ("trial", "ip", 2, 60)
    assert 30 <= call["retry_after"] <= 31
    assert [record.levelno for record in app_warnings] == [logging.WARNING] * 2
    assert all("rule trial (observe)" in record.getMessage() for record in app_warnings)
    assert [record.trace_id for record in app_warnings] == [r["X-Request-Id"] for r in responses[2:]]


def test_an_observe_rule_next_to_an_enforcing_one_neither_refuses_nor_sets_the_headers(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, observed: _Received
) -> None:
    rate_limit_rule("a-trial", "1/m", path_prefix="/api/rl/", mode="observe")
    rate_limit_rule("b-enforced", "5/m", path_prefix="/api/rl/")
    responses = [client.get(COUNTED) for _ in range(3)]
    assert [response.status_code for response in responses] == [200] * 3
    assert [_pacing(response)[:2] for response in responses] == [("5", "4"), ("5", "3"), ("5", "2")]
    assert [call["rule"] for call in observed.calls] == ["a-trial", "a-trial"]


def test_an_enforcing_refusal_sends_rate_limit_exceeded(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, exceeded: _Received, observed: _Received
) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    client.get(COUNTED)
    assert exceeded.calls == []
    response = client.get(COUNTED)
    assert len(exceeded.calls) == 1
    call = exceeded.calls[0]
    assert call["sender"] is RateLimitRule
    assert isinstance(call["request"], HttpRequest) and call["request"].path == COUNTED
    assert {key: call[key] for key in ("rule", "key", "limit", "window_seconds", "retry_after")} == {
        "rule": "api-ip",
        "key": "ip",
        "limit": 1,
        "window_seconds": 60,
        "retry_after": int(response["Retry-After"]),
    }
    assert observed.calls == []


# --- cache faults ----------------------------------------------------------------------------------------------


class _Monotonic:
    def __init__(self) -> None:
        self.now = 5000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> _Monotonic:
    """Control the clock the once-a-minute fault warning is paced by, and forget earlier warnings."""
    clock = _Monotonic()
    monkeypatch.setattr(ratelimits, "time", clock)
    monkeypatch.setattr(ratelimits, "_last_fault_log", {})
    return clock


def _counting_cache(settings: Any, backend: str) -> None:
    settings.CACHES = {**settings.CACHES, "faulty": {"BACKEND": backend}}
    settings.RATELIMIT_USE_CACHE = "faulty"


@pytest.fixture
def raising_cache(settings: Any) -> None:
    _counting_cache(settings, "tests.faulty_cache.FaultyCache")


def test_fail_open_lets_requests_through_and_warns_once_a_minute_per_rule_with_the_trace_id(
    client: Client,
    raising_cache: None,
    monotonic: _Monotonic,
    rate_limit_rule: Make,
    app_warnings: list[logging.LogRecord],
) -> None:
    rate_limit_rule("first", "1/m", path_prefix="/api/rl/")
    rate_limit_rule("second", "1/m", path_prefix="/api/rl/")
    responses = [client.get(COUNTED) for _ in range(3)]
    assert [response.status_code for response in responses] == [200] * 3
    assert all(_pacing(response) == (None, None, None) for response in responses)
    assert [record.levelno for record in app_warnings] == [logging.WARNING] * 2
    assert "rule first " in app_warnings[0].getMessage() and "rule second " in app_warnings[1].getMessage()
    assert all("the cache failed" in record.getMessage() for record in app_warnings)
    assert {record.trace_id for record in app_warnings} == {responses[0]["X-Request-Id"]}
    monotonic.now += 59.9
    client.get(COUNTED)
    assert len(app_warnings) == 2
    monotonic.now += 0.1
    later = client.get(COUNTED)
    assert later.status_code == 200
    assert len(app_warnings) == 4
    assert {record.trace_id for record in app_warnings[2:]} == {later["X-Request-Id"]}


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_fail_closed_answers_503_service_unavailable_with_retry_after(
    client: Client, raising_cache: None, monotonic: _Monotonic, rate_limit_rule: Make
) -> None:
    rate_limit_rule("guarded", "100/m", path_prefix="/api/rl/", fail_closed=True)
    response = client.get(COUNTED)
    error = assert_envelope(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"
    assert error["details"] == {"rule": "guarded", "retry_after": 5}
    assert "Retry-After" in _exposed(response)


def test_fail_closed_in_the_throttle_stage_is_a_503_not_a_500(
    client: Client, raising_cache: None, monotonic: _Monotonic, rate_limit_rule: Make, django_user_model: Any
) -> None:
    django_user_model.objects.create_user("alice")
    rate_limit_rule("per-user", "100/m", key="user", path_prefix="/api/rl/", fail_closed=True)
    response = client.get(COUNTED, HTTP_AUTHORIZATION="Rl alice 1")
    assert_envelope(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"


@pytest.mark.parametrize("fail_open_setting", [False, True])
def test_a_cache_that_returns_no_count_is_a_fault_too(
    client: Client, settings: Any, monotonic: _Monotonic, rate_limit_rule: Make, fail_open_setting: bool
) -> None:
    _counting_cache(settings, "tests.faulty_cache.LosingCache")
    settings.RATELIMIT_FAIL_OPEN = fail_open_setting  # django-ratelimit's own switch: the rule's mode decides
    rate_limit_rule("open", "1/m", path_prefix="/api/rl/counted")
    rate_limit_rule("closed", "1/m", path_prefix="/api/rl/other", fail_closed=True)
    assert [client.get(COUNTED).status_code for _ in range(3)] == [200] * 3
    assert_envelope(client.get("/api/rl/other"), 503, "service_unavailable")


def test_an_observe_rule_never_refuses_even_fail_closed_when_the_cache_fails(
    client: Client, raising_cache: None, monotonic: _Monotonic, rate_limit_rule: Make
) -> None:
    rate_limit_rule("trial", "100/m", path_prefix="/api/rl/", mode="observe", fail_closed=True)
    assert client.get(COUNTED).status_code == 200


# --- cost ------------------------------------------------------------------------------------------------------


def test_after_warm_up_a_covered_request_costs_no_database_query(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    client.get(COUNTED)
    with CaptureQueriesContext(connection) as without_rules:
        client.get(COUNTED)
    rate_limit_rule("api-ip", "100/m", path_prefix="/api/rl/")
    client.get(COUNTED)  # warm-up: this process reads the rules once
    with CaptureQueriesContext(connection) as with_rule:
        response = client.get(COUNTED)
    assert response["X-RateLimit-Remaining"] == "98"  # covered and counted
    assert len(with_rule.captured_queries) == len(without_rules.captured_queries)  # ATOMIC_REQUESTS' savepoints
    assert not [query for query in with_rule.captured_queries if "ratelimitrule" in query["sql"].lower()]


@pytest.fixture
def cache_calls(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Counter[tuple[str, str]]:
    """Count every call of the default cache's methods as ``(method, "stamp" or "other")``.

    The default cache becomes one the version stamp treats as shared (as Redis), so its reads go through it.
    """
    settings.CACHES = {"default": {"BACKEND": "tests.shared_cache.SharedLocMemCache"}}
    calls: Counter[tuple[str, str]] = Counter()
    cache = caches["default"]
    for name in ("get", "add", "incr", "set", "touch", "delete", "has_key", "get_many", "set_many", "decr"):
        original = getattr(cache, name)

        def wrapper(key: Any, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            stamp = key == rules.VERSION_KEY or (isinstance(key, list) and rules.VERSION_KEY in key)
            calls[_name, "stamp" if stamp else "other"] += 1
            return _original(key, *args, **kwargs)

        monkeypatch.setattr(cache, name, wrapper)
    return calls


def test_a_covered_request_reads_no_stamp_and_spends_at_most_two_cache_operations_per_rule(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, cache_calls: Counter[tuple[str, str]]
) -> None:
    rate_limit_rule("by-ip", "100/m", path_prefix="/api/rl/")
    rate_limit_rule("by-user", "100/m", key="user_or_ip", path_prefix="/api/rl/")  # counted in the throttle stage
    client.get(COUNTED)  # warm-up: rules read, both counts created by add
    cache_calls.clear()
    response = client.get(COUNTED)
    assert response["X-RateLimit-Remaining"] == "98"
    assert cache_calls == Counter({("add", "other"): 2, ("incr", "other"): 2})


def test_a_request_with_no_rule_touches_no_cache(
    client: Client, clock: RateLimitClock, db: None, cache_calls: Counter[tuple[str, str]]
) -> None:
    client.get(COUNTED)
    cache_calls.clear()
    assert client.get(COUNTED).status_code == 200
    assert cache_calls == Counter()


def test_the_stamp_is_read_once_per_check_interval_not_per_request(
    client: Client, clock: RateLimitClock, db: None, cache_calls: Counter[tuple[str, str]], monkeypatch: Any
) -> None:
    from causeloop_errors import versioning

    now = [1000.0]
    monkeypatch.setattr(versioning, "time", type("Clock", (), {"monotonic": staticmethod(lambda: now[0])}))
    client.get(COUNTED)
    cache_calls.clear()
    for _ in range(16):
        now[0] += 0.125  # 2 s in all, at most one read per CONFIG_CHECK_SECONDS (0.5 s): at 0.5, 1.0, 1.5 and 2.0
        client.get(COUNTED)
    # Each read is one get_many of every stamp (rules' and policies'), made after the response had gone out: one
    # MGET on Redis; the local-memory cache's get_many calls its get once per key.
    assert cache_calls == Counter({("get_many", "stamp"): 4, ("get", "stamp"): 4, ("get", "other"): 4})
