"""Repeats of an audit event: counted in memory, summed in the shared cache, written in bulk once per interval.

The first occurrence of an event is its row (``audit.record`` inserts it at once). A repeat costs no I/O: it is
counted in this process's memory. Once ``AUDIT_FLUSH_SECONDS`` have passed, the next response to go out
(``request_finished``) adds the process's counts to one counter per event in the shared cache
(``POLICY_CACHE_ALIAS``, see ``audit_counters``) and, for each event whose per-interval lock it wins, moves the
cache's count into the row: one transaction of ``UPDATE ... occurrences = occurrences + n`` statements. At exit a
process writes what it can reach without waiting for a lock; ``flush_audit_events`` writes what every process left
in the cache. A cache that fails is skipped: counts go straight from memory to the database. A database that fails
leaves them in the cache (or in memory) for the next flush.

What can be lost: a process killed without exit handlers loses the repeats it counted since its last flush (at
most one interval's), and a cache flushed or restarted loses the counts it held; a first occurrence never.
"""

from __future__ import annotations

import atexit
import math
import threading
import time
from collections import OrderedDict
from typing import Any

from django.core.cache import caches
from django.db import DatabaseError, connections, router

from causeloop_errors import faults
from causeloop_errors.audit.counters import LOCK_PREFIX, add_to_counter, counter_key, take
from causeloop_errors.audit.sql import write_counts
from causeloop_errors.conf import app_settings

KNOWN_LIMIT = 10_000  # digests whose row this process knows to exist; the oldest are forgotten first
Latest = dict[str, tuple[str, float]]  # per digest: the trace id and the time of its latest repeat


class Repeats:
    """This process's count of repeats not yet written, per event (``dedup_key`` digest)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # threaded servers: a count and the swap of the pending dicts never interleave
        self._flushing = threading.Lock()  # one flush at a time per process
        self.reset()

    def reset(self) -> None:
        """Forget every known row and every count not yet written (tests: the database was rolled back)."""
        self._known: OrderedDict[str, None] = OrderedDict()
        self._pending: dict[str, int] = {}
        self._latest: Latest = {}
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
        """Count one repeat in memory; written after a later response (at once when the interval is 0)."""
        with self._lock:
            self._pending[digest] = self._pending.get(digest, 0) + 1
            self._latest[digest] = (trace_id, time.time())
        if app_settings.AUDIT_FLUSH_SECONDS == 0:
            self.flush()

    def flush_if_due(self, **kwargs: Any) -> None:
        """Write the counts once the interval has passed (a ``request_finished`` receiver: after the response)."""
        if not (self._pending or self._unflushed):
            return
        now = time.monotonic()
        if self._due is None:
            self._due = now + app_settings.AUDIT_FLUSH_SECONDS
        if now >= self._due and self.flush():
            _close_if_obsolete()  # Django closed the request's connection already; this one was opened after

    def flush(self, *, force: bool = False) -> bool:
        """Push this process's counts to the shared cache and write those whose lock it wins. Never raises.

        ``force`` (exit, ``flush_audit_events``, tests) writes every count this process pushed, lock or not.
        Returns whether anything was written.
        """
        if not self._flushing.acquire(blocking=False):
            return False  # another thread of this process is writing
        try:
            interval = app_settings.AUDIT_FLUSH_SECONDS
            self._due = time.monotonic() + interval
            with self._lock:
                pending, self._pending = self._pending, {}
                latest, self._latest = self._latest, {}
            if not pending and not self._unflushed:
                return False
            taken = pending if interval == 0 else self._through_cache(pending, interval, force)
            return bool(taken) and self._write(taken, latest, through_cache=interval != 0)
        finally:
            self._flushing.release()

    def _through_cache(self, pending: dict[str, int], interval: float, force: bool) -> dict[str, int]:
        """Add ``pending`` to the shared counters; return the counts taken out of those whose lock was won."""
        alias = app_settings.POLICY_CACHE_ALIAS
        if not faults.cache_available(alias):
            return pending
        shared = caches[alias]
        pushed: set[str] = set()
        try:
            for digest, n in pending.items():
                add_to_counter(shared, digest, n)
                pushed.add(digest)
        except Exception as exc:
            faults.cache_failed(alias, "counting audit repeats", exc)
            return {digest: n for digest, n in pending.items() if digest not in pushed}
        self._unflushed |= pushed
        taken: dict[str, int] = {}
        try:
            lock = math.ceil(interval)
            mine = [d for d in sorted(self._unflushed) if force or shared.add(LOCK_PREFIX + d, 1, timeout=lock)]
            found = shared.get_many([counter_key(digest) for digest in mine]) if mine else {}
            for digest in mine:
                got = take(shared, digest, int(found.get(counter_key(digest)) or 0))
                self._unflushed.discard(digest)
                if got:
                    taken[digest] = got
        except Exception as exc:  # what was taken is written; the rest stays in the cache for the next flush
            faults.cache_failed(alias, "taking audit repeats", exc)
        return taken

    def _write(self, counts: dict[str, int], latest: Latest, *, through_cache: bool) -> bool:
        try:
            missing = write_counts(counts, latest)
        except DatabaseError as exc:
            faults.warn("database:audit", "Could not write %d audit repeat counts (%s); kept", len(counts), exc)
            self._keep(counts, latest, through_cache)
            return False
        for digest in missing:  # rolled back or pruned: its next occurrence inserts a row again
            self._known.pop(digest, None)
        return True

    def _keep(self, counts: dict[str, int], latest: Latest, through_cache: bool) -> None:
        """Put counts the database refused back in the shared cache (where exit cannot lose them), else in memory."""
        if through_cache and faults.cache_available(app_settings.POLICY_CACHE_ALIAS):
            try:
                for digest in list(counts):
                    add_to_counter(caches[app_settings.POLICY_CACHE_ALIAS], digest, counts[digest])
                    del counts[digest]
                    self._unflushed.add(digest)
            except Exception as exc:
                faults.cache_failed(app_settings.POLICY_CACHE_ALIAS, "keeping audit repeats", exc)
        with self._lock:
            for digest, n in counts.items():
                self._pending[digest] = self._pending.get(digest, 0) + n
            self._latest = {**latest, **self._latest}


def _close_if_obsolete() -> None:
    """Close the audit database's connection if its age says so (``CONN_MAX_AGE``), outside any transaction."""
    from causeloop_errors.audit.models import AuditEvent

    connection = connections[router.db_for_write(AuditEvent)]
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


repeats = Repeats()
# At exit the lock does not wait for a later flush: this process will not be there to make it.
atexit.register(repeats.flush, force=True)
