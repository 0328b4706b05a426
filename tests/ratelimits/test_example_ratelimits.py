"""The example API's seeded rate limit: ``auth-ip``, 10 requests a minute per client IP on ``/auth/``.

``/auth/token`` runs outside the request transaction (``non_atomic_requests``), so these tests are
transactional: ``seed_demo`` commits, which bumps the rules' version stamp as an admin save does.
``conftest.fresh_rate_limits`` gives each test fresh rule snapshots and counters; each test also counts
from an address whose counter is empty and whose window (its end offset per key by django-ratelimit) has
time left, so that a window boundary cannot refill it halfway.
"""

from __future__ import annotations

import io
import json
from ipaddress import IPv4Address
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client, RequestFactory
from django_ratelimit.core import get_usage

from causeloop_errors.ratelimits.decisions import GROUP_PREFIX
from causeloop_errors.ratelimits.models import RateLimitRule

pytestmark = pytest.mark.django_db(transaction=True)

RULE, RATE, LIMIT, WINDOW = "auth-ip", "10/m", 10, 60
GRANT = {"username": "alice", "password": "demo-password", "workspace": "initech"}
FIRST_CANDIDATE = IPv4Address("198.18.0.1")  # RFC 2544 benchmarking range: never a real client
MIN_TIME_LEFT = 15  # seconds: ample for eleven requests


def usage(ip: str) -> dict[str, Any]:
    """Return django-ratelimit's usage of the rule by ``ip`` (count, time left in its window), counting nothing."""
    found = get_usage(RequestFactory().get("/"), group=GROUP_PREFIX + RULE, key=lambda group, request: ip, rate=RATE)
    assert found is not None
    return found


def unused_ips(count: int = 1) -> list[str]:
    """Return ``count`` addresses with no request counted by the rule in their current window, and time left in it."""
    found: list[str] = []
    candidate = FIRST_CANDIDATE
    while len(found) < count:
        ip = str(candidate)
        candidate += 1
        current = usage(ip)
        if current["count"] == 0 and current["time_left"] >= MIN_TIME_LEFT:
            found.append(ip)
    return found


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def post_token(client: Client, body: dict[str, Any] = GRANT) -> Any:
    return client.post("/auth/token", json.dumps(body), content_type="application/json")


def exposed(response: Any) -> set[str]:
    return {name.strip() for name in response.get("Access-Control-Expose-Headers", "").split(",")}


def test_the_eleventh_post_auth_token_from_one_ip_in_a_minute_is_429_rate_limited() -> None:
    seed()
    ip, other_ip = unused_ips(2)
    client = Client(REMOTE_ADDR=ip, HTTP_ORIGIN="https://app.example")  # cross-origin: pacing headers exposed

    for sent in range(1, LIMIT + 1):
        response = post_token(client)
        assert response.status_code == 200, (sent, response.content)
        assert response["X-RateLimit-Limit"] == str(LIMIT)
        assert response["X-RateLimit-Remaining"] == str(LIMIT - sent)
        assert 1 <= int(response["X-RateLimit-Reset"]) <= WINDOW
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= exposed(response)
    refused = post_token(client)

    assert refused.status_code == 429, refused.content
    error = refused.json()["error"]
    wait = error["details"]["retry_after"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "Too many requests from this IP."
    assert error["details"] == {"rule": RULE, "limit": LIMIT, "window_seconds": WINDOW, "retry_after": wait}
    assert error["trace_id"] == refused["X-Request-Id"]
    assert isinstance(wait, int) and 1 <= wait <= WINDOW
    assert refused["Retry-After"] == str(wait)
    assert refused["X-RateLimit-Limit"] == str(LIMIT)
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Reset"] == str(wait)
    assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= exposed(refused)
    # Whole seconds until the next window starts: django-ratelimit's time_left, plus its window's last second
    # (plus one if the clock ticked since the refusal).
    assert wait - usage(ip)["time_left"] in (1, 2)
    # Refused before the view: a wrong password is the same 429, not a 401, and mints nothing.
    assert post_token(client, {**GRANT, "password": "wrong"}).status_code == 429
    assert post_token(client, {}).status_code == 429  # not even the serializer runs
    # Another client is counted apart: its own ten, with its own headers.
    other = post_token(Client(REMOTE_ADDR=other_ip))
    assert other.status_code == 200, other.content
    assert other["X-RateLimit-Remaining"] == str(LIMIT - 1)


@pytest.mark.parametrize("seconds_left", [5, 0])
def test_a_client_that_waits_retry_after_seconds_is_admitted(ratelimit_clock: Any, seconds_left: int) -> None:
    """django-ratelimit still counts a window's last second (time_left 0) in it: the wait is time_left + 1."""
    seed()
    (ip,) = unused_ips()
    ratelimit_clock.seconds_left(ip, WINDOW, seconds_left)  # django-ratelimit's clock only; tokens use the real one
    client = Client(REMOTE_ADDR=ip)
    assert [post_token(client).status_code for _ in range(LIMIT)] == [200] * LIMIT

    refused = post_token(client)
    wait = int(refused["Retry-After"])
    ratelimit_clock.advance(wait)  # an honest client sleeps exactly Retry-After seconds
    retried = post_token(client)

    assert refused.status_code == 429
    assert refused["X-RateLimit-Reset"] == str(wait)
    assert retried.status_code == 200, (wait, retried["Retry-After"], retried.content)
    assert retried["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_the_rule_covers_every_credential_endpoint_under_auth_in_one_count() -> None:
    seed()
    (ip,) = unused_ips()
    client = Client(REMOTE_ADDR=ip)

    statuses = [post_token(client).status_code for _ in range(LIMIT - 1)]
    exchange = client.post(
        "/auth/exchange",
        json.dumps({"subject_token": "forged", "workspace": "initech"}),
        content_type="application/json",
    )
    after = client.post(
        "/auth/exchange",
        json.dumps({"subject_token": "forged", "workspace": "initech"}),
        content_type="application/json",
    )

    assert statuses == [200] * (LIMIT - 1)
    assert exchange.status_code == 401  # the tenth request: a refused grant, still counted and paced
    assert exchange["X-RateLimit-Remaining"] == "0"
    assert after.status_code == 429
    assert after.json()["error"]["details"]["rule"] == RULE


def test_the_rule_leaves_api_paths_alone() -> None:
    seed()
    (ip,) = unused_ips()
    client = Client(REMOTE_ADDR=ip)

    responses = [client.get("/api/issues") for _ in range(LIMIT + 1)]

    assert [response.status_code for response in responses] == [401] * (LIMIT + 1)
    assert "X-RateLimit-Limit" not in responses[-1]


def test_an_administrators_change_to_the_rule_is_obeyed_on_the_next_request_and_kept_by_seed_demo() -> None:
    seed()
    (ip,) = unused_ips()
    client = Client(REMOTE_ADDR=ip)
    assert post_token(client).status_code == 200
    rule = RateLimitRule.objects.get(name=RULE)
    rule.mode = RateLimitRule.Mode.OBSERVE  # what saving the admin form does: a committed save
    rule.save()

    seed()
    statuses = [post_token(client).status_code for _ in range(LIMIT + 1)]

    assert RateLimitRule.objects.get(name=RULE).mode == "observe"
    assert statuses == [200] * (LIMIT + 1)  # observed, never refused


def test_deleting_the_rule_lifts_it_on_the_next_request() -> None:
    seed()
    (ip,) = unused_ips()
    client = Client(REMOTE_ADDR=ip)
    statuses = [post_token(client).status_code for _ in range(LIMIT + 1)]
    assert statuses == [200] * LIMIT + [429]

    RateLimitRule.objects.get(name=RULE).delete()  # as the admin's delete action does
    response = post_token(client)

    assert response.status_code == 200, response.content
    assert "X-RateLimit-Limit" not in response
