"""Four processes, one Redis, one row: a flood of refusals from one client is one audit event, counted exactly.

Runs under ``make test-services`` (PostgreSQL and Redis). Four workers (``tests/ratelimit_flood.py``, started with
the ``spawn`` method) each set Django up with the test settings on the parent's test database, except that audit
repeats are written as a deployment writes them (``AUDIT_FLUSH_SECONDS`` 5, not the test suite's 0). Each sends
refusals through the full stack from the same client IP, so every one of them is an occurrence of one event
(``AUDIT_DEDUP_SECONDS``: per action, client IP and 60-second window). The counts then reach the database the way
they do in production: each worker exits normally (its exit handler flushes what it counted), and
``flush_audit_events`` (cron's job) writes what the processes left in Redis.

Redis outlives the test run, so the client IP is drawn at random from the RFC 2544 benchmarking range: the event's
counter key (``causeloop:audit:repeats:<digest>`` of action, IP and window) is fresh.
"""

from __future__ import annotations

import io
import math
import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from ipaddress import IPv4Address
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from causeloop_errors.audit import writer as audit
from causeloop_errors.audit.counters import counter_key
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.conf import app_settings
from tests.ratelimit_flood import AUDIT_TABLE, Workers, require_redis, skip_unless_services

skip_unless_services("audit repeat counters")

WORKERS = 4
PER_WORKER = 2_500
FLUSH_SECONDS = 5  # AUDIT_FLUSH_SECONDS in the workers: the app's default
PATH = "/api/audit/fail/unauthorized"  # anonymous: 401 "unauthorized", audited as auth.unauthorized (AUDIT_CODES)
ACTION = "auth.unauthorized"
WARM_PATH = "/api/nope"  # 404 not_found, not audited: warms a worker (URLconf, connections) without an event
BENCHMARK = IPv4Address("198.18.0.0")  # RFC 2544 benchmarking range (198.18.0.0/15): never a real client
WORKER_SETTINGS = {"ROOT_URLCONF": "tests.urls", "CAUSELOOP_ERRORS": {"AUDIT_FLUSH_SECONDS": FLUSH_SECONDS}}
MIN_WINDOW_LEFT = 30  # seconds the dedup window must have left when the flood starts (it takes about 12 s)


@pytest.fixture
def workers(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workers]:
    """Four workers on this session's test database, with the default flush interval; closed by the test."""
    from django.db import connection

    require_redis(os.environ["REDIS_URL"])
    with django_db_blocker.unblock():
        database_name = connection.settings_dict["NAME"]
    pool = Workers(database_name, WORKERS, settings=WORKER_SETTINGS)
    try:
        yield pool
    finally:
        pool.close()


def _audit_sql(statements: list[str]) -> Counter[str]:
    """Count ``statements`` by their first word (INSERT, UPDATE, SELECT, ...)."""
    return Counter(sql.split(None, 1)[0].upper() for sql in statements)


def _wait_for_a_fresh_window(seconds: int) -> None:
    """Sleep into the next dedup window unless the current one has ``MIN_WINDOW_LEFT`` seconds left."""
    left = seconds - time.time() % seconds
    if left < MIN_WINDOW_LEFT:
        time.sleep(left + 0.1)


@pytest.mark.django_db(transaction=True)  # the workers' rows must be visible here
def test_four_processes_flooding_refusals_from_one_client_make_one_row_with_every_occurrence(
    workers: Workers,
) -> None:
    ip = str(BENCHMARK + 1 + secrets.randbelow(2**17 - 2))
    warmed = workers.send([str(BENCHMARK)] * WORKERS, WARM_PATH, 1)
    assert [worker[0][0] for worker in warmed] == [404] * WORKERS
    dedup_seconds = app_settings.AUDIT_DEDUP_SECONDS
    _wait_for_a_fresh_window(dedup_seconds)
    started = time.perf_counter()

    floods = workers.run("audit_flood", [(ip, PATH, PER_WORKER, dedup_seconds)] * WORKERS)

    flood_seconds = time.perf_counter() - started
    exits = workers.close()  # each worker exits normally: its exit handler flushes what it counted
    windows = {flood["windows"] for flood in floods}
    assert len(windows) == 1 and len(set(next(iter(windows)))) == 1, f"the flood straddled a dedup window: {windows}"
    digest = audit._digest(f"{ACTION}|anonymous|{ip}|{next(iter(windows))[0]}")
    shared = caches[app_settings.POLICY_CACHE_ALIAS]
    after_exits = list(AuditEvent.objects.filter(action=ACTION, client_ip=ip).values_list("occurrences", flat=True))
    left_in_redis = shared.get(counter_key(digest))
    with CaptureQueriesContext(connection) as command_queries:
        call_command("flush_audit_events", stdout=(out := io.StringIO()))

    per_worker = [_audit_sql(flood["audit_sql"]) for flood in floods]
    at_exit = [_audit_sql(report["audit_sql"]) for report in exits]
    by_command = _audit_sql([q["sql"] for q in command_queries.captured_queries if AUDIT_TABLE in q["sql"]])
    rows = list(AuditEvent.objects.filter(action=ACTION, client_ip=ip))
    total = WORKERS * PER_WORKER
    statements = sum(sum(c.values()) for c in [*per_worker, *at_exit, by_command])
    print(
        f"\n{total} refusals by {WORKERS} processes in {flood_seconds:.1f} s ({total / flood_seconds:.0f} requests/s)"
        f"\naudit-table statements per worker, during the flood: {[dict(c) for c in per_worker]}; "
        f"at exit: {[dict(c) for c in at_exit]} (repeats in memory at exit: {[r['pending'] for r in exits]})"
        f"\noccurrences after the workers exited: {after_exits}, left in Redis: {left_in_redis}; "
        f"flush_audit_events: {dict(by_command)} ({out.getvalue().strip()})"
        f"\nrows: {[row.occurrences for row in rows]}; audit-table statements in all: {statements}"
    )
    assert [flood["statuses"] for flood in floods] == [{401: PER_WORKER}] * WORKERS
    assert len(exits) == WORKERS, "every worker exited normally and reported"
    assert [(row.occurrences, row.code, row.status, row.dedup_key) for row in rows] == [
        (total, "unauthorized", 401, digest)
    ]
    # Nothing stayed in a process: what the workers had not written was in Redis, and the command wrote it all.
    assert sum(after_exits) + (left_in_redis or 0) == total
    assert shared.get(counter_key(digest)) == 0
    # The first occurrence: one INSERT attempt per process (three lose the race: their first is a repeat). The
    # repeats: at most one UPDATE per flush interval across the four processes during the flood, none per request;
    # at exit each process writes, lock or not, what it can reach (it will not be there for a later flush).
    assert [c["INSERT"] for c in per_worker] == [1] * WORKERS
    assert {kind for c in [*per_worker, *at_exit] for kind in c} <= {"INSERT", "UPDATE", "SELECT"}
    assert all(c["SELECT"] <= 1 for c in per_worker)  # a process that lost the INSERT race checks the row is there
    during = sum(c["UPDATE"] for c in per_worker)
    assert during <= math.ceil(flood_seconds / FLUSH_SECONDS) + 1, during
    assert all(c["UPDATE"] <= 1 for c in at_exit)  # an exiting process writes what it can reach, once
    assert by_command["UPDATE"] <= 1
