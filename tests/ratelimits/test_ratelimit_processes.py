"""Four processes, one Redis: a rule admits exactly its limit, and an admin edit reaches every process within 1 s.

Runs under ``make test-services`` (PostgreSQL and Redis). Four workers (``tests/ratelimit_flood.py``,
started with the ``spawn`` method) each set Django up with the test settings on the parent's test
database and send requests through the full stack (``django.test.Client``: middleware, URL resolving,
the rule check in ``process_view``, DRF) as fast as they can, from the same client IP.

Counters live in Redis and outlive the test run, so each test uses a rule with a fresh name (a fresh
django-ratelimit group) and a client IP whose window has at least a minute left: django-ratelimit's
windows end at a per-key offset (crc32 of the key), and a test straddling a window end would be refilled.

A worker reads the rules' version stamp at most once per ``CONFIG_CHECK_SECONDS`` (0.5 s), after a response,
and before a request only when it has been idle for two intervals: an edit reaches a busy worker within one
interval, an idle one within two (the issue's bound: 1 s), and the process that saved it on its next request.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from ipaddress import IPv4Address
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django_ratelimit.core import get_usage

from causeloop_errors.conf import DEFAULTS
from causeloop_errors.ratelimits import store as rate_limit_rules
from causeloop_errors.ratelimits.decisions import GROUP_PREFIX
from causeloop_errors.ratelimits.models import RateLimitRule
from tests.ratelimit_flood import REPLY_TIMEOUT, Workers, require_redis, skip_unless_services

skip_unless_services("rate-limit counters")

WORKERS = 4
PER_WORKER = 60
LIMIT = 100
PATH = "/api/issues"  # without a token: DRF answers 401 after the middleware has counted the request
UNCOVERED_PATH = "/api/me"  # not under the rule's prefix: warms a worker (rules, connections) without counting
FIRST_IP = IPv4Address("198.18.0.1")  # RFC 2544 benchmarking range: never a real client
MIN_TIME_LEFT = 60  # seconds left in the window, far more than a test needs
POLL_PAUSE = 0.01  # seconds between a worker's requests while it waits for an edit
POLL_TIMEOUT = 3.0  # seconds a worker polls before it gives up
WORKER_CONFIG_CHECK_SECONDS = DEFAULTS["CONFIG_CHECK_SECONDS"]  # the workers keep the default (0.5 s)
OBEYED_WITHIN = 1.0  # seconds: the bound for every process


@pytest.fixture(scope="module")
def workers(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workers]:
    """Four workers on this session's test database; started once for the module (spawning takes seconds)."""
    from django.db import connection

    require_redis(os.environ["REDIS_URL"])
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    pool = Workers(database_name, WORKERS)
    try:
        yield pool
    finally:
        pool.close()


def _rule(rate: str = f"{LIMIT}/h") -> RateLimitRule:
    """Create (and commit) an enforcing IP rule on ``PATH`` with a fresh name, so its counters are fresh.

    Returns once every worker obeys it: an idle worker reads the rules' stamp before a request once two
    ``CONFIG_CHECK_SECONDS`` have passed, so until then one may still obey the previous test's rules (a test database
    flush bumps no stamp).
    """
    rule = RateLimitRule.objects.create(name=f"procs-{uuid.uuid4().hex[:12]}", rate=rate, key="ip", path_prefix=PATH)
    time.sleep(2 * WORKER_CONFIG_CHECK_SECONDS)
    return rule


def _ips_with_time_left(rule: RateLimitRule, count: int) -> list[str]:
    """Return ``count`` client IPs whose window for ``rule`` has at least ``MIN_TIME_LEFT`` seconds left."""
    found: list[str] = []
    candidate = FIRST_IP
    while len(found) < count:
        ip = str(candidate)
        candidate += 1
        usage = get_usage(
            RequestFactory().get(PATH), group=GROUP_PREFIX + rule.name, key=lambda group, request: ip, rate=rule.rate
        )
        assert usage is not None, "django-ratelimit gave no usage (RATELIMIT_ENABLE off?)"
        assert usage["time_left"] != -1, "Redis did not answer django-ratelimit"
        if usage["time_left"] >= MIN_TIME_LEFT:
            found.append(ip)
    return found


@pytest.mark.django_db(transaction=True)  # the rule must be committed for the workers to read it
def test_four_processes_flooding_one_ip_admit_exactly_the_rules_limit(workers: Workers) -> None:
    rule = _rule()
    (ip,) = _ips_with_time_left(rule, 1)
    warmed = workers.send([ip] * WORKERS, UNCOVERED_PATH, 1)  # each worker reads the new rule here
    assert [worker[0][:2] for worker in warmed] == [(401, None)] * WORKERS
    started = time.perf_counter()

    replies = workers.send([ip] * WORKERS, PATH, PER_WORKER, together=True)

    elapsed = time.perf_counter() - started
    flat = [reply for worker in replies for reply in worker]
    admitted = [reply for reply in flat if reply[0] != 429]
    per_worker = [sum(reply[0] != 429 for reply in worker) for worker in replies]
    total = WORKERS * PER_WORKER
    print(
        f"\nadmitted {len(admitted)} of {total} with {WORKERS} processes against a {LIMIT}-per-window rule "
        f"(per process: {per_worker}; {total / elapsed:.0f} requests/s)"
    )
    assert len(admitted) == LIMIT
    assert Counter(reply[0] for reply in flat) == {401: LIMIT, 429: total - LIMIT}
    # Every admitted request saw its own count: the remaining values are 99..0, each exactly once.
    assert sorted(int(reply[2]) for reply in admitted) == list(range(LIMIT))
    assert {reply[1] for reply in flat} == {str(LIMIT)}
    refusals = [reply[3] for reply in flat if reply[0] == 429]
    assert {(d["rule"], d["limit"], d["window_seconds"]) for d in refusals} == {(rule.name, LIMIT, 3600)}


@pytest.mark.django_db(transaction=True)
def test_an_edit_saved_in_the_admin_is_obeyed_by_every_process_within_one_second(
    workers: Workers, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The saving process must obey on its next request through its own bump, not through a periodic check.
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "CONFIG_CHECK_SECONDS": 3600}
    rule = _rule(rate=f"{10 * LIMIT}/h")  # room for the old rate's counts while the workers poll
    *ips, own_ip = _ips_with_time_left(rule, WORKERS + 1)  # one client per process: a new counter each
    warmed = workers.send(ips, PATH, 1)
    assert [worker[0][:3] for worker in warmed] == [(401, str(10 * LIMIT), str(10 * LIMIT - 1))] * WORKERS
    own = Client(REMOTE_ADDR=own_ip, raise_request_exception=False)
    assert own.get(PATH)["X-RateLimit-Limit"] == str(10 * LIMIT)  # this process has the old rule in memory
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="root"))
    committed: list[float] = []
    bump = rate_limit_rules.stamp.bump

    def bump_and_note_the_time() -> None:  # run once the save commits: the moment the new stamp is published
        bump()
        committed.append(time.time())

    monkeypatch.setattr(rate_limit_rules.stamp, "bump", bump_and_note_the_time)
    workers.start("poll", [(ip, PATH, "1", POLL_PAUSE, POLL_TIMEOUT) for ip in ips])
    # Every worker is sending requests under the old rate before the save: each one's stamp check is at its own phase.
    polling_since = [workers.reply(pipe, REPLY_TIMEOUT, "polling") for pipe in workers.pipes]

    saved = admin.post(f"/admin/causeloop_ratelimits/ratelimitrule/{rule.pk}/change/", _admin_form(rule, rate="1/h"))
    next_own = [own.get(PATH), own.get(PATH)]

    assert saved.status_code == 302, saved.content.decode()[:2000]
    polls = [workers.reply(pipe, REPLY_TIMEOUT) for pipe in workers.pipes]
    assert RateLimitRule.objects.get(pk=rule.pk).rate == "1/h"
    assert len(committed) == 1, "the save bumped the rules' stamp once, when it committed"
    # The process that saved: its very next request obeys the new rate, though it reads the shared stamp hourly.
    assert [(r.status_code, r["X-RateLimit-Limit"], r["X-RateLimit-Remaining"]) for r in next_own] == [
        (401, "1", "0"),
        (429, "1", "0"),
    ]
    delays = [None if poll["new_at"] is None else poll["new_at"] - committed[0] for poll in polls]
    print(
        f"\nobeyed by each worker {['-' if d is None else f'{d:.3f}' for d in delays]} s after the commit "
        f"(requests while polling every {POLL_PAUSE} s: {[poll['requests'] for poll in polls]})"
    )
    assert max(polling_since) < committed[0]
    assert all(d is not None and d <= OBEYED_WITHIN for d in delays), delays
    # A new rate is a new django-ratelimit counter, and the requests under the old one never count toward it:
    # each worker's first request under 1/h is admitted, its next one refused.
    after = [[reply[:3] for reply in poll["replies"]] for poll in polls]
    assert after == [[(401, "1", "0"), (429, "1", "0")]] * WORKERS
    assert all(poll["replies"][1][3]["limit"] == 1 for poll in polls)


def _admin_form(rule: RateLimitRule, **changes: str) -> dict[str, str]:
    """Return the admin change form's fields for ``rule`` as an administrator would submit them."""
    fields = {
        "name": rule.name,
        "enabled": "on",
        "mode": rule.mode,
        "rate": rule.rate,
        "key": rule.key,
        "methods": rule.methods,
        "path_prefix": rule.path_prefix,
        "path_regex": rule.path_regex,
        "view_names": rule.view_names,
        "throttle_scopes": rule.throttle_scopes,
        "client_networks": rule.client_networks,
        "workspace_key": rule.workspace_key,
        "overrides": "",
        "expires_at_0": "",
        "expires_at_1": "",
        "_save": "Save",
    }
    return {**fields, **changes}
