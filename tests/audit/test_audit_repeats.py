"""Audit repeats: counted in memory, summed in the shared cache, written at most once per event and interval.

Each ``Repeats`` instance here stands for one process; they share the test's cache as processes share Redis
(the four-process version on Redis is ``test_audit_processes.py``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from causeloop_errors.audit import repeats as audit_repeats
from causeloop_errors.audit import writer as audit
from causeloop_errors.audit.counters import add_to_counter, counter_key, take_counts
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.audit.repeats import Repeats

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]  # AUDIT_FLUSH_SECONDS: 5


def _row() -> str:
    """Insert the first occurrence of a new event (as ``audit.record`` does) and return its digest.

    A new event each time: with ``make test-services`` the shared cache is Redis, which outlives test runs.
    """
    dedup = f"auth.unauthorized|anonymous|203.0.113.30|{uuid.uuid4().hex}"
    audit.record("auth.unauthorized", code="unauthorized", status=401, dedup=dedup)
    return audit._digest(dedup)


def _updates(queries: CaptureQueriesContext) -> int:
    return sum(1 for query in queries.captured_queries if query["sql"].startswith("UPDATE"))


def test_two_processes_repeats_are_summed_exactly_and_written_by_one_update_per_interval() -> None:
    digest = _row()
    first, second = Repeats(), Repeats()
    for _ in range(30):
        first.count(digest, "req_first")  # the first count starts the interval: nothing is written yet
    for _ in range(12):
        second.count(digest, "req_second")

    with CaptureQueriesContext(connection) as queries:
        first.flush()
        second.flush()  # the same interval: its counts wait in the shared cache, under the first one's lock

    assert _updates(queries) == 1
    assert AuditEvent.objects.get().occurrences == 31
    call_command("flush_audit_events", stdout=open("/dev/null", "w"))  # noqa: SIM115
    event = AuditEvent.objects.get()
    assert event.occurrences == 1 + 30 + 12
    assert caches["default"].get(counter_key(digest)) == 0


def test_flush_audit_events_writes_what_processes_left_in_the_shared_cache(capsys: pytest.CaptureFixture[str]) -> None:
    digest = _row()
    add_to_counter(caches["default"], digest, 7)  # pushed by a process that then stopped

    call_command("flush_audit_events")

    assert AuditEvent.objects.get().occurrences == 8
    assert "Wrote 7 repeats to 1 audit events" in capsys.readouterr().out


def test_with_the_cache_down_repeats_go_from_memory_to_the_database_and_one_warning_says_so(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    digest = _row()
    settings.CACHES = {"default": {"BACKEND": "tests.faulty_cache.FaultyCache"}}
    process = Repeats()
    for _ in range(5):
        process.count(digest, "req_1")

    process.flush()
    process.count(digest, "req_2")
    process.flush()

    assert AuditEvent.objects.get().occurrences == 7
    warnings = [r.getMessage() for r in caplog.records if r.name == "causeloop_errors" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "counting audit repeats" in warnings[0]


def test_counts_a_failed_write_could_not_store_are_kept_for_the_next_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    digest = _row()
    process = Repeats()
    for _ in range(4):
        process.count(digest, "req_1")

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("the database is down")

    monkeypatch.setattr(audit_repeats, "write_counts", down)
    process.flush(force=True)
    monkeypatch.undo()
    process.flush(force=True)

    assert AuditEvent.objects.get().occurrences == 5


def test_a_flush_leaves_the_last_trace_id_of_the_latest_repeat() -> None:
    digest = _row()
    process = Repeats()
    process.count(digest, "req_early")
    process.count(digest, "req_latest")

    process.flush(force=True)

    event = AuditEvent.objects.get()
    assert (event.occurrences, event.last_trace_id) == (3, "req_latest")


def test_repeats_of_a_row_that_is_gone_are_dropped_and_its_next_occurrence_inserts_again() -> None:
    digest = _row()
    process = Repeats()
    process.mark_known(digest)
    AuditEvent.objects.all().delete()  # pruned, or rolled back with its caller
    process.count(digest, "req_1")

    process.flush(force=True)

    assert not process.known(digest)
    assert AuditEvent.objects.count() == 0


def test_two_takers_reading_the_same_count_take_it_once() -> None:
    digest = _row()
    shared = caches["default"]
    add_to_counter(shared, digest, 10)
    stale = shared.get_many  # both read 10 before either subtracts it

    def read_before_the_other_took_it(keys: list[str]) -> dict[str, Any]:
        return {counter_key(digest): 10}

    first = take_counts(shared, [digest])
    shared.get_many = read_before_the_other_took_it  # type: ignore[method-assign]
    try:
        second = take_counts(shared, [digest])
    finally:
        shared.get_many = stale  # type: ignore[method-assign]

    assert (first, second) == ({digest: 10}, {})
    assert shared.get(counter_key(digest)) == 0


def test_a_taker_meeting_another_takers_overdraft_puts_back_only_what_it_subtracted() -> None:
    digest = _row()
    shared = caches["default"]
    add_to_counter(shared, digest, 0)
    shared.decr(counter_key(digest), 49)  # another taker subtracted 49 more than was there and will put it back
    stale = shared.get_many

    def read_42(keys: list[str]) -> dict[str, Any]:
        return {counter_key(digest): 42}

    shared.get_many = read_42  # type: ignore[method-assign]
    try:
        taken = take_counts(shared, [digest])
    finally:
        shared.get_many = stale  # type: ignore[method-assign]
    shared.incr(counter_key(digest), 49)  # the other taker's own correction

    assert taken == {}
    assert shared.get(counter_key(digest)) == 0
