"""The per-process snapshot of every live rate-limit rule, read again whenever the shared version stamp changes."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.db import DatabaseError

from causeloop_errors import faults
from causeloop_errors.ratelimits.rules import Rule
from causeloop_errors.snapshots import RETRY_SECONDS, read_rows, table_missing
from causeloop_errors.versioning import VersionStamp

logger = logging.getLogger("causeloop_errors")

VERSION_KEY = "causeloop_errors:ratelimit_rules:version"
stamp = VersionStamp(VERSION_KEY)


def _snapshot(model: Any) -> Rule | None:
    """Return the rule of a row, or None (logged) for a row the admin form would have rejected."""
    try:
        return Rule.from_model(model)
    except (ValueError, TypeError, AttributeError, re.error, KeyError):
        logger.error("Rate-limit rule %r is invalid and is ignored; fix it in the admin", model.name, exc_info=True)
        return None


class RuleStore:
    """Every live rule, read once per process and again whenever the shared version stamp changes.

    A read that fails (database down, table not migrated) keeps the rules last read, or none, logs a WARNING
    once a minute, and is tried again after ``RETRY_SECONDS``: rate limits never take the API down.
    """

    def __init__(self) -> None:
        self._version: str | None = None
        self._rules: tuple[Rule, ...] = ()
        self._retry_at = 0.0

    def rules(self) -> tuple[Rule, ...]:
        version = stamp.current()
        if version != self._version and time.monotonic() >= self._retry_at:
            self._reload(version)
        return self._rules

    def _reload(self, version: str) -> None:
        from causeloop_errors.ratelimits.models import RateLimitRule

        try:
            models = read_rows(RateLimitRule, lambda: list(RateLimitRule.objects.live()))
        except DatabaseError as exc:
            self._retry_at = time.monotonic() + RETRY_SECONDS
            missing = table_missing(RateLimitRule)
            if missing:
                self._rules = ()
            faults.warn(
                "database:rules",
                "causeloop_errors: rate-limit rules could not be read (%s: %s); %s",
                exc.__class__.__name__,
                exc,
                "run manage.py migrate" if missing else f"keeping the {len(self._rules)} rules last read",
            )
            return
        self._rules = tuple(rule for model in models if (rule := _snapshot(model)))
        self._version = version
        self._retry_at = 0.0


store = RuleStore()
