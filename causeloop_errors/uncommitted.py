"""Saves this process made in transactions that have not committed yet, per thread.

While one is pending, a store must not keep what it reads for good: the rows may still be rolled back. Django has
no rollback signal, but a rollback drops the transaction's on-commit callbacks, so a save whose callback is
neither run nor queued any more was rolled back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

Callback = Callable[[], None]


class PendingSaves:
    """The on-commit callbacks of this thread's saves not yet committed, with their database aliases."""

    def __init__(self) -> None:
        self._thread = threading.local()
        self._count = 0  # of every thread: a plain int, so that ``any`` costs next to nothing per request

    def _entries(self) -> list[tuple[str, Callback]]:
        entries: list[tuple[str, Callback]] | None = getattr(self._thread, "entries", None)
        if entries is None:
            entries = self._thread.entries = []
        return entries

    def add(self, alias: str, callback: Callback) -> None:
        """Note a save whose transaction will run ``callback`` when it commits."""
        self._entries().append((alias, callback))
        self._count += 1

    def discard(self, callback: Callback) -> None:
        """Forget a save whose transaction committed."""
        kept = [entry for entry in self._entries() if entry[1] is not callback]
        self._count = max(0, self._count - (len(self._entries()) - len(kept)))
        self._thread.entries = kept

    def any(self) -> bool:
        """Return whether a thread noted a save not known to be committed (no query, no lookup; per request)."""
        return self._count > 0

    def settle(self) -> tuple[bool, bool]:
        """Return (a save is still pending, a save was rolled back), forgetting the rolled-back ones."""
        kept = [
            (alias, callback)
            for alias, callback in self._entries()
            if any(queued[1] is callback for queued in connections[alias].run_on_commit)
        ]
        rolled_back = len(kept) != len(self._entries())
        self._count = max(0, self._count - (len(self._entries()) - len(kept)))
        self._thread.entries = kept
        return bool(kept), rolled_back
