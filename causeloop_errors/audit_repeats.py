"""Repeats of an audit event: counted in memory, summed in the shared cache, written in bulk once per interval.

The first occurrence of an event is its row (``audit.record`` inserts it at once). A repeat costs no I/O: it is
counted in this process's memory. Every ``AUDIT_FLUSH_SECONDS`` (checked by the request that crosses the
interval, after any request through ``request_finished``, and at exit), the process adds its counts to one
counter per event in the shared cache (``POLICY_CACHE_ALIAS``; an atomic increment, so the sum is exact across
processes) and, for each event whose per-interval lock it wins, moves the cache's count into the row: one
transaction of ``UPDATE ... occurrences = occurrences + n`` statements. ``flush_audit_events`` writes what every
process left in the cache. A cache that fails is skipped: counts go straight from memory to the database.

What can be lost: a process killed without exit handlers loses the repeats it counted since its last flush (at
most one interval's), and a cache flushed or restarted loses the counts it held (likewise at most about one
interval's); a row's first occurrence is never lost that way.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from collections import OrderedDict
from functools import cache
from typing import Any

from django.core.cache import caches
from django.db import connections, router, transaction
from django.utils import timezone

from causeloop_errors import faults
from causeloop_errors.conf import app_settings

logger = logging.getLogger("causeloop_errors")

COUNTER_PREFIX = "causeloop:audit:repeats:"
LOCK_PREFIX = "causeloop:audit:flushing:"
COUNTER_TIMEOUT = 3600  # a counter nobody flushes (no traffic, no flush_audit_events) is dropped after an hour
KNOWN_LIMIT = 10_000  # digests whose row this process knows to exist; the oldest are forgotten first


def counter_key(digest: str) -> str:
    return COUNTER_PREFIX + digest


class Repeats:
    """This process's count of repeats not yet written, per event (``dedup_key`` digest)."""

    def __init__(self) -> None:
        self.reset()
        self._lock = threading.Lock()  # threaded servers: a count and the swap of the pending dict never interleave

    def reset(self) -> None:
        """Forget every known row and every count not yet written (tests: the database was rolled back)."""
        self._known: OrderedDict[str, None] = OrderedDict()
        self._pending: dict[str, int] = {}
        self._last_trace: dict[str, str] = {}
        self._unflushed: set[str] = set()  # pushed to the cache, but another process held the flush lock
        self._due: float | None = None  # when counts are next written: an interval after the first is counted

    def known(self, digest: str) -> bool:
        """Return whether this process knows the event's row exists (so an occurrence is a repeat)."""
        return digest in self._known

    def mark_known(self, digest: str) -> None:
        self._known[digest] = None
        if len(self._known) > KNOWN_LIMIT:
            self._known.popitem(last=False)

    def count(self, digest: str, trace_id: str) -> None:
        """Count one repeat; write the counts if the flush interval has passed (or is 0)."""
        with self._lock:
            self._pending[digest] = self._pending.get(digest, 0) + 1
            self._last_trace[digest] = trace_id
        self.flush_if_due()

    def flush_if_due(self, **kwargs: Any) -> None:
        """Flush when the interval has passed; cheap otherwise (a ``request_finished`` receiver)."""
        if not (self._pending or self._unflushed):
            return
        now = time.monotonic()
        if self._due is None:
            self._due = now + app_settings.AUDIT_FLUSH_SECONDS
        if now >= self._due:
            self.flush()

    def flush(self, *, force: bool = False) -> None:
        """Push this process's counts to the shared cache and write those whose lock it wins. Never raises.

        ``force`` (``flush_audit_events``, tests) writes every count this process pushed, lock or not.
        """
        interval = app_settings.AUDIT_FLUSH_SECONDS
        self._due = time.monotonic() + interval
        with self._lock:
            pending, self._pending = self._pending, {}
            traces, self._last_trace = self._last_trace, {}
        if not pending and not self._unflushed:
            return
        taken = pending if interval == 0 else self._through_cache(pending, interval, force)
        if taken:
            self._write(taken, traces)

    def _through_cache(self, pending: dict[str, int], interval: float, force: bool) -> dict[str, int]:
        """Add ``pending`` to the shared counters; return the counts taken out of those whose lock was won."""
        alias = app_settings.POLICY_CACHE_ALIAS
        if not faults.cache_available(alias):
            return pending
        pushed: set[str] = set()
        try:
            shared = caches[alias]
            for digest, n in pending.items():
                add_to_counter(shared, digest, n)
                pushed.add(digest)
            candidates = self._unflushed | pushed
            mine = [
                digest
                for digest in candidates
                if force or shared.add(LOCK_PREFIX + digest, 1, timeout=math.ceil(interval))
            ]
            self._unflushed = candidates - set(mine)
            taken = take_counts(shared, mine)
        except Exception as exc:
            faults.cache_failed(alias, "counting audit repeats", exc)
            return {digest: n for digest, n in pending.items() if digest not in pushed}
        return taken

    def _write(self, counts: dict[str, int], traces: dict[str, str]) -> None:
        try:
            missing = write_counts(counts, traces)
        except Exception:
            logger.exception("Could not write %d audit repeat counts; kept to try again", len(counts))
            with self._lock:
                for digest, n in counts.items():
                    self._pending[digest] = self._pending.get(digest, 0) + n
            return
        for digest in missing:  # rolled back or pruned: its next occurrence inserts a row again
            self._known.pop(digest, None)


def add_to_counter(shared: Any, digest: str, n: int) -> None:
    """Add ``n`` to the event's counter in ``shared``, creating it (atomically) if missing."""
    key = counter_key(digest)
    try:
        shared.incr(key, n)
    except ValueError:  # no such key: create it, unless another process just did
        if not shared.add(key, n, timeout=COUNTER_TIMEOUT):
            shared.incr(key, n)


def take_counts(shared: Any, digests: list[str]) -> dict[str, int]:
    """Take the counts of ``digests`` out of ``shared``; what two takers race for is taken once.

    The value read may be stale by the time it is subtracted (another process or ``flush_audit_events`` took it
    meanwhile): the atomic decrement says how much was really there, and what was over-taken is put back.
    """
    found = shared.get_many([counter_key(digest) for digest in digests]) if digests else {}
    taken = {}
    for digest in digests:
        n = int(found.get(counter_key(digest)) or 0)
        if n <= 0:
            continue
        left = int(shared.decr(counter_key(digest), n))
        mine = max(0, min(n, n + left))  # what the counter held of the n subtracted (it may have been below 0)
        if mine < n:  # another taker got there first: put back exactly what was subtracted and not there
            shared.incr(counter_key(digest), n - mine)
        if mine > 0:
            taken[digest] = mine
    return taken


def write_counts(counts: dict[str, int], traces: dict[str, str]) -> list[str]:
    """Add ``counts`` to their rows in one transaction; return the digests that have no row."""
    from causeloop_errors.models import AuditEvent

    connection = connections[router.db_for_write(AuditEvent)]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    missing = []
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        for digest, n in counts.items():
            cursor.execute(_update_sql(connection.vendor, connection.alias), [n, now, traces.get(digest), digest])
            if cursor.rowcount == 0:
                missing.append(digest)
    return missing


@cache
def _update_sql(vendor: str, alias: str) -> str:
    from causeloop_errors.models import AuditEvent

    quote = connections[alias].ops.quote_name
    columns = {field.name: quote(str(field.column)) for field in AuditEvent._meta.concrete_fields}
    occurrences, seen, trace, key = (columns[name] for name in REPEAT_COLUMNS)
    return (
        f"UPDATE {quote(AuditEvent._meta.db_table)} SET {occurrences} = {occurrences} + %s, {seen} = %s, "
        f"{trace} = COALESCE(%s, {trace}) WHERE {key} = %s"
    )


REPEAT_COLUMNS = ("occurrences", "last_seen_at", "last_trace_id", "dedup_key")

repeats = Repeats()
# At exit the lock does not wait for a later flush: this process will not be there to make it.
atexit.register(repeats.flush, force=True)
