"""Checks of audit events: E006, their table exists; E005, the audit settings; W004, the cache counts exactly."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from causeloop_errors.conf import app_settings
from causeloop_errors.settings_checks import bad_seconds
from causeloop_errors.table_check import missing_tables

# Backends whose incr and decr are atomic and may go below zero, as the audit repeat counters need.
EXACT_COUNTERS = (
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.locmem.LocMemCache",
)


def check_tables(**kwargs: Any) -> list[CheckMessage]:
    """E006: the audit event table exists."""
    return missing_tables("causeloop_audit", "audit events are not stored")


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    """E005: ``AUDIT_CODES``, ``AUDIT_DEDUP_SECONDS`` and ``AUDIT_FLUSH_SECONDS`` have the documented types."""
    raw = app_settings.raw
    problems = []
    codes = raw.get("AUDIT_CODES", ())
    if not isinstance(codes, (list, tuple)) or not all(isinstance(code, str) for code in codes):
        problems.append("AUDIT_CODES must be a list of error codes.")
    seconds = raw.get("AUDIT_DEDUP_SECONDS", 60)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
        problems.append("AUDIT_DEDUP_SECONDS must be a whole number of seconds, at least 1.")
    problems.extend(bad_seconds(raw, "AUDIT_FLUSH_SECONDS"))
    return [
        Error(problem, hint="See the README's Settings section.", id="causeloop_errors.E005") for problem in problems
    ]


def check_shared_cache(**kwargs: Any) -> list[CheckMessage]:
    """W004: ``POLICY_CACHE_ALIAS`` counts audit repeats exactly (Redis, or the local-memory cache)."""
    backend = settings.CACHES.get(app_settings.POLICY_CACHE_ALIAS, {}).get("BACKEND", "")
    if backend in EXACT_COUNTERS:
        return []
    return [
        Warning(
            f"POLICY_CACHE_ALIAS is a {backend or 'missing'} cache: audit repeat counts may be lost or written twice.",
            hint="Use Redis (django-redis or Django's RedisCache): its increments are atomic and may go below zero"
            " (memcached stops at 0; the database and file caches read, then write).",
            id="causeloop_errors.W004",
        )
    ]
