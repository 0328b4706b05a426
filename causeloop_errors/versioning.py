"""A version stamp in the shared cache: how every process learns that admin-managed rows changed.

A store keeps what it read from the database in process memory together with the stamp it saw. The stamp is
read from the cache at most once every ``CONFIG_CHECK_SECONDS`` per process (not once per request: on Redis
that read was the most expensive part of a request), after a response has gone out (``request_finished``), so
a process serving traffic learns of a change within that interval and no request waits for the read. A request
reads it first only when the process has been idle for two intervals, so a change reaches every process within
two intervals in any case. The process that saved the change sees it at once: until its transaction commits it
reads the rows afresh on every request (``uncommitted``), and the commit bumps the stamp in the cache and here;
a rollback leaves nothing behind. A cache that
fails leaves the stamp as this process last knew it (one WARNING per minute) and is tried again after a back-off.
"""

from __future__ import annotations

import atexit
import logging
import time
import uuid
import weakref
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from causeloop_errors import faults
from causeloop_errors.conf import app_settings
from causeloop_errors.uncommitted import PendingSaves

logger = logging.getLogger("causeloop_errors")
_local_aliases: dict[str, bool] = {}
UNKNOWN = "unknown"  # the stamp of a process whose cache has never answered


def _process_local(alias: str) -> bool:
    try:
        return _local_aliases[alias]
    except KeyError:
        local = _local_aliases[alias] = type(caches[alias]) is LocMemCache  # a subclass may be shared
        return local


def reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    """Forget which caches are process-local when CACHES changes (a ``setting_changed`` receiver)."""
    if setting in ("CACHES", "CAUSELOOP_ERRORS"):
        _local_aliases.clear()
        for stamp in _stamps:
            stamp.forget()


_stamps: weakref.WeakSet[VersionStamp] = weakref.WeakSet()
_earliest = [0.0]  # the soonest next check of any stamp (iterating the stamps costs more than a response's work)


def refresh_due_stamps(**kwargs: Any) -> None:
    """Read the stamps whose interval has passed, in one round trip (a ``request_finished`` receiver).

    It runs once the response has gone out, so the read delays no client.
    """
    now = time.monotonic()
    if now < _earliest[0]:  # the common case, on every response: nothing is due
        return
    due = [stamp for stamp in _stamps if now >= stamp._next_check]
    if not due:
        return
    alias = app_settings.POLICY_CACHE_ALIAS
    if _process_local(alias) or not faults.cache_available(alias):
        for stamp in due:
            stamp._checked(now)
        return
    try:
        found = caches[alias].get_many([stamp.key for stamp in due])
    except Exception as exc:
        faults.cache_failed(alias, "reading the version stamps", exc)
        for stamp in due:
            stamp._checked(now)
        return
    for stamp in due:
        stamp._check(found.get(stamp.key))


class VersionStamp:
    """One version key in the cache named by ``POLICY_CACHE_ALIAS``.

    ``current()`` returns ``"<shared>:<local>"``: the shared part is the cache's value as last read, the local
    part counts this process's own bumps. With the local-memory cache there is one process to tell, so the
    shared part is never read.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self._local = 0
        self._shared = UNKNOWN
        self._next_check = 0.0  # monotonic time from which the stamp is read again after a response
        self._deadline = 0.0  # ... and from which a request reads it before going on (the process was idle)
        self._unpublished = False  # a bump the cache did not take: published again at the next check
        self._pending = PendingSaves()  # saves of this process not committed yet
        self._provisional = 0
        _stamps.add(self)

    def forget(self) -> None:
        """Read the shared stamp again on the next request (the cache configuration changed)."""
        self._next_check = self._deadline = _earliest[0] = 0.0

    def current(self) -> str:
        """Return the stamp as this process knows it; read the cache first only if it is two intervals old.

        While a save of this thread is not committed, every call returns a new stamp: what a store reads then
        may be rolled back, so it is read again next time. A save rolled back makes the store read again too.
        """
        if self._pending.any():
            pending, rolled_back = self._pending.settle()
            self._local += rolled_back
            if pending:
                self._provisional += 1
                return f"uncommitted:{self._provisional}"
        if time.monotonic() >= self._deadline:
            self._check()
        return f"{self._shared}:{self._local}"

    def _checked(self, now: float) -> None:
        """Note a check at ``now`` (made or given up): the next is an interval away."""
        interval = app_settings.CONFIG_CHECK_SECONDS
        self._next_check, self._deadline = now + interval, now + 2 * interval
        _earliest[0] = min(stamp._next_check for stamp in _stamps)

    def _check(self, known: Any = None) -> None:
        """Read the shared stamp (``known``: already read with others); publish a bump the cache refused."""
        alias = app_settings.POLICY_CACHE_ALIAS
        self._checked(time.monotonic())
        if _process_local(alias) or not faults.cache_available(alias):
            return
        try:
            cache = caches[alias]
            if self._unpublished:
                cache.set(self.key, uuid.uuid4().hex, timeout=None)
                self._unpublished = False
                known = None
            version = known if known is not None else cache.get(self.key)
            if version is None:  # the cache lost it (restart, eviction): start one every process will read
                cache.add(self.key, uuid.uuid4().hex, timeout=None)
                version = cache.get(self.key)
        except Exception as exc:
            faults.cache_failed(alias, "reading the version stamp", exc)
            return
        faults.cache_recovered(alias)
        self._shared = str(version)

    def bump(self) -> None:
        """Publish a new stamp, so that this process reloads now and every other one within the interval."""
        self._local += 1
        alias = app_settings.POLICY_CACHE_ALIAS
        if _process_local(alias):
            return
        version = uuid.uuid4().hex
        try:
            caches[alias].set(self.key, version, timeout=None)
        except Exception as exc:
            self._unpublished = True
            faults.cache_failed(alias, "publishing a new version stamp", exc)
        else:
            self._shared = version

    def bump_on_commit(self, *, using: str = "default", **kwargs: Any) -> None:
        """Bump for every process once the transaction commits (a model receiver); this thread reads it at once.

        Until the commit, this thread's stores read the rows afresh on every request and keep nothing (see
        ``current``), so a test case, which never commits, sees its change, and a rollback leaves no phantom.
        """

        def committed() -> None:
            self._pending.discard(committed)
            self.bump()

        self._pending.add(using, committed)
        transaction.on_commit(committed, using=using)


def forget_snapshots() -> None:
    """Make this process read every rule and policy snapshot again on its next request (no I/O; between tests)."""
    for stamp in list(_stamps):
        stamp._local += 1


@atexit.register
def _publish_before_exit() -> None:
    """Publish the bumps the cache refused: a shell or command that saved a change will not be there to retry."""
    for stamp in list(_stamps):
        if stamp._unpublished:
            try:
                caches[app_settings.POLICY_CACHE_ALIAS].set(stamp.key, uuid.uuid4().hex, timeout=None)
            except Exception:
                logger.error(
                    "causeloop_errors: a change saved by this process was not published (%s): other processes will"
                    " not see it until the next change is saved",
                    stamp.key,
                    exc_info=True,
                )
