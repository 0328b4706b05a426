"""Tell a database that is unavailable (down, unreachable, locked) from a query that is wrong.

The first is answered 503 ``service_unavailable`` with a short ``Retry-After``; the second stays a reported 500.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError

_UNAVAILABLE_SQLSTATE = ("08", "53", "57", "40")
_UNAVAILABLE_MYSQL = {1205, 1213, 2002, 2003, 2006, 2013}  # lock wait, deadlock, cannot connect, gone away, lost
_UNAVAILABLE_SQLITE = ("locked", "busy", "unable to open database", "disk i/o error")


def database_unavailable(exc: Exception) -> bool:
    """Return whether ``exc`` says the database is down, unreachable, locked or overloaded (not a wrong query).

    A missing table or column, or a syntax error, is a bug: it stays a 500 ``internal_error``, reported as such.
    """
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state:
        return str(state).startswith(_UNAVAILABLE_SQLSTATE)
    if type(cause).__module__.startswith("psycopg"):  # no SQLSTATE: the connection itself failed
        return True
    args = getattr(cause, "args", ())
    if args and isinstance(args[0], int):  # MySQL's error number
        return args[0] in _UNAVAILABLE_MYSQL
    return any(word in str(exc).lower() for word in _UNAVAILABLE_SQLITE)
