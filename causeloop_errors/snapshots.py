"""Reading the app's admin-managed rows without letting the database's trouble become the request's.

The rule and policy stores read their tables rarely (when the version stamp changes); a read that fails must not
abort the caller's transaction (``ATOMIC_REQUESTS``), and a table that ``migrate`` never created must read as
"nothing configured" rather than a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import connections, router, transaction

T = TypeVar("T")
RETRY_SECONDS = 5.0  # after a failed read, the last snapshot serves this long before the next try


def read_rows(model: Any, load: Callable[[], T]) -> T:
    """Return ``load()``, a read of ``model``'s table, inside a savepoint when a transaction is open.

    The savepoint is what keeps a failed read (missing table, lost connection) from aborting the caller's
    transaction on PostgreSQL; in autocommit no transaction is opened for a plain SELECT.
    """
    connection = connections[router.db_for_read(model)]
    if connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            return load()
    return load()


def table_missing(model: Any) -> bool:
    """Return whether ``model``'s table is absent from its database (False when that cannot be told)."""
    try:
        connection = connections[router.db_for_read(model)]
        return model._meta.db_table not in read_rows(model, connection.introspection.table_names)
    except Exception:
        return False
