"""Where rules are counted: the middleware before authentication, RateLimitRuleThrottle with the principal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import connection
from django.test import AsyncClient, Client

from causeloop_errors.ratelimits.models import RateLimitRule
from tests import ratelimit_views
from tests.conftest import RateLimitClock
from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]

IP = "127.0.0.1"
COUNTED = "/api/rl/counted"
Make = Callable[..., RateLimitRule]


@pytest.fixture(autouse=True)
def clock(ratelimit_clock: RateLimitClock) -> RateLimitClock:
    ratelimit_clock.seconds_left(IP, 60, 30)
    return ratelimit_clock


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", password="pw")


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", password="pw")


def _as(username: str, token: int = 1, workspace: str | None = None) -> dict[str, str]:
    headers = {"HTTP_AUTHORIZATION": f"Rl {username} {token}"}
    if workspace is not None:
        headers["HTTP_X_TOKEN_WORKSPACE"] = workspace
    return headers


def _statuses(client: Client, count: int, path: str = COUNTED, **extra: Any) -> list[int]:
    return [client.get(path, **extra).status_code for _ in range(count)]


# --- the middleware stage: IP rules before authentication ------------------------------------------------------


def test_the_eleventh_post_to_auth_token_is_refused_before_authentication_runs(
    client: Client, rate_limit_rule: Make
) -> None:
    rate_limit_rule("auth-ip", "10/m", path_prefix="/auth/")
    ratelimit_views.AUTHENTICATION_ATTEMPTS.clear()
    failures = [client.post("/auth/token") for _ in range(10)]
    assert [response.status_code for response in failures] == [401] * 10
    assert [response["X-RateLimit-Remaining"] for response in failures] == [str(n) for n in range(9, -1, -1)]
    assert len(ratelimit_views.AUTHENTICATION_ATTEMPTS) == 10
    response = client.post("/auth/token")
    error = assert_envelope(response, 429, "rate_limited")
    assert error["message"] == "Too many requests from this IP."
    assert error["details"]["rule"] == "auth-ip"
    assert len(ratelimit_views.AUTHENTICATION_ATTEMPTS) == 10  # the view, and so its authenticator, never ran


def test_an_ip_rule_on_a_drf_view_is_counted_once_per_request(client: Client, rate_limit_rule: Make) -> None:
    rate_limit_rule("api-ip", "3/m", path_prefix="/api/rl/")
    responses = [client.get(COUNTED) for _ in range(4)]
    assert [response.status_code for response in responses] == [200, 200, 200, 429]
    assert [response["X-RateLimit-Remaining"] for response in responses] == ["2", "1", "0", "0"]


def test_an_ip_rule_covers_a_drf_view_without_the_throttle_class(client: Client, rate_limit_rule: Make) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    assert _statuses(client, 2, "/api/rl/unthrottled") == [200, 429]


def test_an_ip_rule_covers_a_plain_django_view(client: Client, rate_limit_rule: Make) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    assert _statuses(client, 2, "/api/rl/plain") == [200, 429]


def test_an_ip_rule_covers_an_async_view(rate_limit_rule: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)  # Django refuses it for async views
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/async/")
    client = AsyncClient(raise_request_exception=False)
    first = async_to_sync(client.get)("/api/async/ok")
    second = async_to_sync(client.get)("/api/async/ok")
    assert (first.status_code, first["X-RateLimit-Remaining"]) == (200, "0")
    assert_envelope(second, 429, "rate_limited")


def test_a_callable_instance_view_is_counted_not_broken(client: Client, rate_limit_rule: Make) -> None:
    rate_limit_rule("api-ip", "1/m", path_prefix="/api/rl/")
    responses = [client.get("/api/rl/callable") for _ in range(2)]
    assert [response.status_code for response in responses] == [200, 429]


# --- the throttle stage: user, token, workspace and user-or-IP rules -------------------------------------------


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("user", "Too many requests from this user."),
        ("token", "Too many requests with this token."),
        ("workspace", "Too many requests for this workspace."),
    ],
)
def test_principal_rules_refuse_with_the_wording_of_their_key(
    client: Client, rate_limit_rule: Make, alice: User, key: str, message: str
) -> None:
    rate_limit_rule("principal", "1/m", key=key, path_prefix="/api/rl/")
    headers = _as("alice", workspace="acme")
    assert client.get(COUNTED, **headers).status_code == 200
    response = client.get(COUNTED, **headers)
    error = assert_envelope(response, 429, "rate_limited")
    assert error["message"] == message
    wait = int(response["Retry-After"])  # each key value has its own window offset
    assert error["details"] == {"rule": "principal", "limit": 1, "window_seconds": 60, "retry_after": wait}
    assert 1 <= wait <= 60 and response["X-RateLimit-Remaining"] == "0"


def test_a_user_rule_counts_each_user_across_tokens_and_skips_anonymous_requests(
    client: Client, rate_limit_rule: Make, alice: User, bob: User
) -> None:
    rate_limit_rule("per-user", "2/m", key="user", path_prefix="/api/rl/")
    assert client.get(COUNTED, **_as("alice", 1)).status_code == 200
    assert client.get(COUNTED, **_as("alice", 2)).status_code == 200
    assert client.get(COUNTED, **_as("alice", 3)).status_code == 429
    assert _statuses(client, 2, **_as("bob")) == [200, 200]
    anonymous = client.get(COUNTED)
    assert anonymous.status_code == 200 and "X-RateLimit-Limit" not in anonymous


def test_a_token_rule_counts_each_token_apart(client: Client, rate_limit_rule: Make, alice: User) -> None:
    rate_limit_rule("per-token", "1/m", key="token", path_prefix="/api/rl/")
    assert _statuses(client, 2, **_as("alice", 1)) == [200, 429]
    assert client.get(COUNTED, **_as("alice", 2)).status_code == 200


def test_a_workspace_rule_counts_the_workspace_however_the_request_names_it(
    client: Client, rate_limit_rule: Make, alice: User
) -> None:
    rate_limit_rule("per-workspace", "3/m", key="workspace", path_prefix="/api/rl/")
    assert client.get(COUNTED, HTTP_X_WORKSPACE="acme").status_code == 200
    assert client.get(COUNTED, **_as("alice", workspace="acme")).status_code == 200
    assert client.get("/api/rl/w/acme/counted").status_code == 200
    assert client.get(COUNTED, HTTP_X_WORKSPACE="acme").status_code == 429
    assert client.get(COUNTED, HTTP_X_WORKSPACE="globex").status_code == 200
    assert client.get(COUNTED).status_code == 200  # no workspace: nothing to count


def test_a_user_or_ip_rule_counts_the_user_when_authenticated_and_the_ip_otherwise(
    client: Client, rate_limit_rule: Make, alice: User
) -> None:
    rate_limit_rule("user-or-ip", "1/m", key="user_or_ip", path_prefix="/api/rl/")
    assert client.get(COUNTED).status_code == 200
    anonymous = client.get(COUNTED)
    assert assert_envelope(anonymous, 429, "rate_limited")["message"] == "Too many requests from this IP."
    assert client.get(COUNTED, **_as("alice")).status_code == 200
    signed_in = client.get(COUNTED, **_as("alice"))
    assert assert_envelope(signed_in, 429, "rate_limited")["message"] == "Too many requests from this user."


def test_principal_rules_are_counted_by_the_default_throttle_classes(
    client: Client, rate_limit_rule: Make, alice: User
) -> None:
    rate_limit_rule("per-user", "1/m", key="user", path_prefix="/api/rl/")
    assert _statuses(client, 2, "/api/rl/default-throttles", **_as("alice")) == [200, 429]


def test_principal_rules_are_not_counted_on_a_drf_view_without_the_throttle_class(
    client: Client, rate_limit_rule: Make, alice: User
) -> None:
    rate_limit_rule("per-user", "1/m", key="user", path_prefix="/api/rl/")
    assert _statuses(client, 3, "/api/rl/unthrottled", **_as("alice")) == [200, 200, 200]


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_a_refusal_in_the_throttle_stage_is_the_rules_own_429_with_pacing_headers(
    client: Client, rate_limit_rule: Make, alice: User
) -> None:
    rate_limit_rule("per-user", "1/m", key="user", path_prefix="/api/rl/")
    client.get(COUNTED, **_as("alice"))
    response = client.get(COUNTED, **_as("alice"))
    error = assert_envelope(response, 429, "rate_limited")
    assert error["message"] == "Too many requests from this user."  # not DRF's "Request was throttled."
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == ("1", "0")
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} <= {
        name.strip() for name in response["Access-Control-Expose-Headers"].split(",")
    }


@pytest.mark.parametrize(("ip_rate", "user_rate", "limit"), [("10/m", "2/m", "2"), ("2/m", "10/m", "2")])
def test_pacing_headers_follow_the_closest_rule_across_the_middleware_and_throttle_stages(
    client: Client, rate_limit_rule: Make, alice: User, ip_rate: str, user_rate: str, limit: str
) -> None:
    rate_limit_rule("by-ip", ip_rate, path_prefix="/api/rl/")
    rate_limit_rule("by-user", user_rate, key="user", path_prefix="/api/rl/")
    response = client.get(COUNTED, **_as("alice"))
    assert (response["X-RateLimit-Limit"], response["X-RateLimit-Remaining"]) == (limit, "1")


# --- plain Django views: every rule in the middleware, with the session's user -------------------------------


def test_a_user_rule_on_a_plain_view_counts_the_session_user(
    client: Client, rate_limit_rule: Make, alice: User, bob: User
) -> None:
    rate_limit_rule("per-user", "1/m", key="user", path_prefix="/api/rl/plain")
    assert client.get("/api/rl/plain").status_code == 200  # anonymous: no user to count
    assert client.get("/api/rl/plain").status_code == 200
    client.force_login(alice)
    assert client.get("/api/rl/plain").json() == {"user": "alice"}
    refused = client.get("/api/rl/plain")
    assert assert_envelope(refused, 429, "rate_limited")["message"] == "Too many requests from this user."
    client.force_login(bob)
    assert client.get("/api/rl/plain").status_code == 200


def test_a_workspace_rule_on_a_plain_view_counts_the_url_workspace(client: Client, rate_limit_rule: Make) -> None:
    rate_limit_rule("per-workspace", "1/m", key="workspace", path_prefix="/api/rl/plain")
    assert _statuses(client, 2, "/api/rl/plain/w/acme") == [200, 429]
    assert client.get("/api/rl/plain/w/globex").status_code == 200
