"""A version stamp in the shared cache: how every process learns that admin-managed rows changed.

A store keeps what it read from the database in process memory together with the stamp it saw.
Each request reads the stamp (one cache round trip, no query); a save or delete writes a new one
once its transaction commits, so every process reloads on its next request.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from causeloop_errors.conf import app_settings

_local_aliases: dict[str, bool] = {}


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


class VersionStamp:
    """One version key in the cache named by ``POLICY_CACHE_ALIAS``.

    With the local-memory cache there is one process to tell, so the stamp is a counter in process
    memory and reading it costs nothing; any other cache is read on every request.
    """

    def __init__(self, key: str) -> None:
        self.key = key
        self._local = 0

    def current(self) -> str:
        """Return the stamp every process agrees on; start one if the cache lost it."""
        alias = app_settings.POLICY_CACHE_ALIAS
        if _process_local(alias):
            return str(self._local)
        cache = caches[alias]
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.key)
        return str(version)

    def bump(self) -> None:
        """Publish a new stamp, so that every process reloads on its next request."""
        self._local += 1
        caches[app_settings.POLICY_CACHE_ALIAS].set(self.key, uuid.uuid4().hex, timeout=None)

    def bump_on_commit(self, *, using: str = "default", **kwargs: Any) -> None:
        """Bump once the current transaction commits (a model-signal receiver)."""
        transaction.on_commit(self.bump, using=using)
