"""The per-process snapshots of workspace policies, each kept under the version stamp it was read with.

After warm-up a decision costs no cache read and no database query (the stamp is read at most once per
``CONFIG_CHECK_SECONDS``), and a change is seen by every process within that interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DatabaseError

from causeloop_errors import faults
from causeloop_errors.exceptions import ServiceUnavailable
from causeloop_errors.snapshots import RETRY_SECONDS, read_rows, table_missing
from causeloop_errors.versioning import VersionStamp

VERSION_KEY = "causeloop_errors:policies:version"
RETRY_AFTER = 5  # seconds, for a workspace whose policy cannot be read


@dataclass(frozen=True)
class Policy:
    """What one workspace requires, as read from the database."""

    workspace_key: str
    require_mfa: bool = False
    mfa_enforced_from: datetime | None = None
    require_sso: bool = False
    break_glass_user_ids: frozenset[Any] = frozenset()
    exempt_service_accounts: bool = True

    def in_grace_period(self, now: datetime) -> bool:
        """Return whether MFA is required but not yet enforced at ``now``."""
        return self.mfa_enforced_from is not None and now < self.mfa_enforced_from


def _load(key: str) -> Policy | None:
    from causeloop_errors.policies.models import WorkspacePolicy

    model = WorkspacePolicy.objects.for_key(key)
    if model is None:
        return None
    return Policy(
        workspace_key=key,
        require_mfa=model.require_mfa,
        mfa_enforced_from=model.mfa_enforced_from,
        require_sso=model.require_sso,
        break_glass_user_ids=frozenset(model.break_glass_users.values_list("pk", flat=True)),
        exempt_service_accounts=model.exempt_service_accounts,
    )


class PolicyStore:
    """Per-process snapshots of the policies, each kept with the stamp it was read under.

    A snapshot read under an older stamp is read again; a read racing a change on another thread can only leave
    a snapshot under the stamp it started with, which the next request reads again. A read that fails keeps the
    snapshot last read for that key (a WARNING once a minute). A workspace this process has never read cannot be
    decided then: the database error goes on to the caller, which answers 503 ``service_unavailable``, and for
    ``RETRY_SECONDS`` such keys fail at once instead of waiting on the database again. A policy table that
    ``migrate`` never created holds no policy.
    """

    MAX_KEYS = 10_000  # workspace keys come from requests: the snapshots are dropped rather than grow unbounded

    def __init__(self) -> None:
        self._policies: dict[str, tuple[str, Policy | None]] = {}
        self._failure: tuple[float, DatabaseError | None] = (0.0, None)  # until when, and the error (None: no table)

    def get(self, key: str) -> Policy | None:
        """Return the policy in force for workspace ``key`` (its own or the default), or None."""
        version = stamp.current()
        known = self._policies.get(key)
        if known is not None and known[0] == version:
            return known[1]
        until, error = self._failure
        if until and time.monotonic() < until:
            return self._unreadable(key, known, error)
        from causeloop_errors.policies.models import WorkspacePolicy

        try:
            policy = read_rows(WorkspacePolicy, lambda: _load(key))
        except DatabaseError as exc:
            missing = table_missing(WorkspacePolicy)
            self._failure = (time.monotonic() + RETRY_SECONDS, None if missing else exc)
            return self._unreadable(key, known, None if missing else exc)
        policies = self._policies if len(self._policies) < self.MAX_KEYS else {}
        policies[key] = (version, policy)
        self._policies, self._failure = policies, (0.0, None)
        return policy

    @staticmethod
    def _unreadable(key: str, known: tuple[str, Policy | None] | None, error: DatabaseError | None) -> Policy | None:
        if error is None:
            faults.warn("database:policies", "causeloop_errors: no policy table; run manage.py migrate")
            return None
        faults.warn("database:policies", "causeloop_errors: policies could not be read (%s)", error)
        if known is not None:
            return known[1]  # the last snapshot of this workspace
        raise ServiceUnavailable.retry_in(RETRY_AFTER) from error  # a policy is never assumed away

    def invalidate(self) -> None:
        """Publish a new version: this process reloads on its next request, every other within a second."""
        stamp.bump()


stamp = VersionStamp(VERSION_KEY)
store = PolicyStore()
