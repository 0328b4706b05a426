"""Helpers of the feature apps' checks of their tables (E006: run ``migrate`` before any request).

``migrate`` runs the checks before creating the tables and must not be stopped by the very tables it is about to
create: the check stands aside while it runs. A database that cannot be reached is not this check's business
(nothing is reported then).
"""

from __future__ import annotations

import sys

from django.apps import apps
from django.core.checks import CheckMessage, Error
from django.db import connections, router


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


def missing_tables(label: str, until: str) -> list[CheckMessage]:
    """E006: every table of the models of app ``label`` is in its database (nothing while ``migrate`` runs).

    ``until`` says what the app does until the tables exist.
    """
    if migrating():
        return []
    missing: list[str] = []
    for model in apps.get_app_config(label).get_models():
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
            f"The tables of {apps.get_app_config(label).verbose_name.lower()} are missing: {', '.join(missing)}.",
            hint=f"Run `python manage.py migrate`. Until then {until}.",
            id="causeloop_errors.E006",
        )
    ]
