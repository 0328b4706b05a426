"""Checks of where the app keeps its state: E006, its tables exist; W004, its shared cache counts exactly.

E006 makes ``manage.py check`` say to run ``migrate`` before any request.

``migrate`` runs the checks before creating the tables and must not be stopped by the very tables it is about to
create: the check stands aside while it runs. A database that cannot be reached is not this check's business
(nothing is reported then).
"""

from __future__ import annotations

import sys
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import connections, router

from causeloop_errors.conf import app_settings

# Backends whose incr and decr are atomic and may go below zero, as the audit repeat counters need.
EXACT_COUNTERS = (
    "django_redis.cache.RedisCache",
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.locmem.LocMemCache",
)


def migrating() -> bool:
    """Return whether ``migrate`` is the command running the checks (it is about to create the tables).

    Told by the call stack: Django 6.1 passes every database to the checks of every command, so the ``databases``
    argument no longer tells ``migrate`` from ``check``.
    """
    from django.core.management.commands.migrate import Command as Migrate

    frame = sys._getframe(1)
    while frame is not None:
        if isinstance(frame.f_locals.get("self"), Migrate):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def check_tables(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E006: every table of the app's models is in its database."""
    if migrating():
        return []
    missing: list[str] = []
    for model in apps.get_app_config("causeloop_errors").get_models():
        alias = router.db_for_write(model)
        try:
            tables = connections[alias].introspection.table_names()
        except Exception:
            continue  # that database cannot be reached: not this check's business
        if model._meta.db_table not in tables:
            missing.append(f"{model._meta.db_table} ({alias})")
    if not missing:
        return []
    return [
        Error(
            f"The causeloop_errors tables are missing: {', '.join(missing)}.",
            hint="Run `python manage.py migrate`. Until then policies and rate-limit rules read as none and audit "
            "events are not stored.",
            id="causeloop_errors.E006",
        )
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
