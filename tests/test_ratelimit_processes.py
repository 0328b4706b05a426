"""Four processes, one Redis: a rule admits exactly its limit, and an admin edit reaches every process.

Runs under ``make test-services`` (PostgreSQL and Redis). Four workers (``tests/ratelimit_flood.py``,
started with the ``spawn`` method) each set Django up with the test settings on the parent's test
database and send requests through the full stack (``django.test.Client``: middleware, URL resolving,
the rule check in ``process_view``, DRF) as fast as they can, from the same client IP.

Counters live in Redis and outlive the test run, so each test uses a rule with a fresh name (a fresh
django-ratelimit group) and a client IP whose window has at least a minute left: django-ratelimit's
windows end at a per-key offset (crc32 of the key), and a test straddling a window end would be refilled.
"""

from __future__ import annotations

import contextlib
import multiprocessing
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

from causeloop_errors.models import RateLimitRule
from causeloop_errors.ratelimits import GROUP_PREFIX
from tests import ratelimit_flood

REDIS_URL = os.environ.get("REDIS_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not REDIS_URL:
    pytest.skip(
        "REDIS_URL is unset: several processes share rate-limit counters only through Redis (make test-services)",
        allow_module_level=True,
    )
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    pytest.skip(
        "DATABASE_URL is not PostgreSQL: the worker processes must share the test database (make test-services)",
        allow_module_level=True,
    )

WORKERS = 4
PER_WORKER = 60
LIMIT = 100
PATH = "/api/issues"  # without a token: DRF answers 401 after the middleware has counted the request
UNCOVERED_PATH = "/api/me"  # not under the rule's prefix: warms a worker (rules, connections) without counting
FIRST_IP = IPv4Address("198.18.0.1")  # RFC 2544 benchmarking range: never a real client
MIN_TIME_LEFT = 60  # seconds left in the window, far more than a test needs
READY_TIMEOUT = 60
REPLY_TIMEOUT = 60


class Workers:
    """Four worker processes and the parent's end of their pipes."""

    def __init__(self, database_name: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(WORKERS)
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(WORKERS):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=ratelimit_flood.serve, args=(database_name, child_end, self.barrier), daemon=True
            )
            process.start()
            child_end.close()
            self.pipes.append(parent_end)
            self.processes.append(process)
        for pipe in self.pipes:
            self._reply(pipe, READY_TIMEOUT)

    def send(self, ips: list[str], path: str, count: int, *, together: bool = False) -> list[list[Any]]:
        """Have worker ``i`` send ``count`` requests from ``ips[i]``; return each worker's replies."""
        for pipe, ip in zip(self.pipes, ips, strict=True):
            pipe.send((ip, path, count, together))
        return [self._reply(pipe, REPLY_TIMEOUT) for pipe in self.pipes]

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # a worker that already died
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()

    @staticmethod
    def _reply(pipe: Any, timeout: float) -> Any:
        if not pipe.poll(timeout):
            pytest.fail(f"a worker process gave no answer within {timeout} s")
        kind, value = pipe.recv()
        if kind == "error":
            pytest.fail(f"a worker process failed:\n{value}")
        return value


@pytest.fixture(scope="module")
def workers(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workers]:
    """Four workers on this session's test database; started once for the module (spawning takes seconds)."""
    from django.db import connection

    _require_redis()
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    pool = Workers(database_name)
    try:
        yield pool
    finally:
        pool.close()


def _require_redis() -> None:
    """Fail, never skip, when REDIS_URL is set but Redis does not answer: make test-services promised it."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5).ping()
    except Exception as exc:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({exc.__class__.__name__}: {exc})")


def _rule(rate: str = f"{LIMIT}/h") -> RateLimitRule:
    """Create (and commit) an enforcing IP rule on ``PATH`` with a fresh name, so its counters are fresh."""
    return RateLimitRule.objects.create(name=f"procs-{uuid.uuid4().hex[:12]}", rate=rate, key="ip", path_prefix=PATH)


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
def test_an_edit_saved_in_the_admin_is_obeyed_by_every_process_on_its_next_request(workers: Workers) -> None:
    rule = _rule()
    ips = _ips_with_time_left(rule, WORKERS)  # one client per worker: each one's next request is its own first
    warmed = workers.send(ips, PATH, 1)
    assert [worker[0][:3] for worker in warmed] == [(401, str(LIMIT), str(LIMIT - 1))] * WORKERS
    get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    admin = Client()
    admin.force_login(get_user_model().objects.get(username="root"))

    saved = admin.post(f"/admin/causeloop_errors/ratelimitrule/{rule.pk}/change/", _admin_form(rule, rate="1/h"))

    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert RateLimitRule.objects.get(pk=rule.pk).rate == "1/h"
    after = workers.send(ips, PATH, 2)
    # A new rate is a new django-ratelimit counter: each worker's next request is the first under 1/h.
    assert [[reply[:3] for reply in worker] for worker in after] == [[(401, "1", "0"), (429, "1", "0")]] * WORKERS
    assert all(worker[1][3]["limit"] == 1 for worker in after)


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
