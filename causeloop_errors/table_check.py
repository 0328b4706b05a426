"""System check E006: the app's tables exist, so ``manage.py check`` says to run ``migrate`` before any request.

The check opens the database only when no database was named: ``migrate`` runs the checks with its database
before creating the tables, and must not be stopped by the very tables it is about to create. A database that
cannot be reached is not this check's business (nothing is reported then).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.checks import CheckMessage, Error
from django.db import connections, router


def check_tables(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """E006: every table of the app's models is in its database."""
    if databases is not None:
        return []
    missing: list[str] = []
    for model in apps.get_app_config("causeloop_errors").get_models():
        alias = router.db_for_write(model)
        try:
            tables = connections[alias].introspection.table_names()
        except Exception:
            return []
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
