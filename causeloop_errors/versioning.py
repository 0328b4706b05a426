"""A version stamp in the shared cache: how every process learns that admin-managed rows changed.

A store keeps what it read from the database in process memory together with the stamp it saw.
Each request reads the stamp (one cache round trip, no query); a save or delete writes a new one
once its transaction commits, so every process reloads on its next request.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import caches
from django.db import transaction

from causeloop_errors.conf import app_settings


class VersionStamp:
    """One version key in the cache named by ``POLICY_CACHE_ALIAS``."""

    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> str:
        """Return the stamp every process agrees on; start one if the cache lost it."""
        cache = caches[app_settings.POLICY_CACHE_ALIAS]
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.key)
        return str(version)

    def bump(self) -> None:
        """Publish a new stamp, so that every process reloads on its next request."""
        caches[app_settings.POLICY_CACHE_ALIAS].set(self.key, uuid.uuid4().hex, timeout=None)

    def bump_on_commit(self, *, using: str = "default", **kwargs: Any) -> None:
        """Bump once the current transaction commits (a model-signal receiver)."""
        transaction.on_commit(self.bump, using=using)
