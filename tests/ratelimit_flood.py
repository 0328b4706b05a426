"""Worker processes for the multi-process tests: Django with the test settings, driven over a pipe.

Started with multiprocessing's ``spawn`` method, so each worker is a fresh interpreter with its own
Django, its own rule store, its own audit repeats and its own connections, like one process of a deployed
server. It uses the parent's test database (named by the parent) and the Redis of ``REDIS_URL`` (inherited
environment). ``Workers`` is the parent's side (``test_ratelimit_processes``, ``test_audit_processes``);
``serve`` runs in each worker and answers ``(operation, arguments)`` messages until ``None``, then exits
normally, so its exit handlers run (the audit repeats' final flush) and it reports what they sent the database.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from threading import BrokenBarrierError
from typing import Any

import pytest

Reply = tuple[int, str | None, str | None, dict[str, Any] | None]  # status, X-RateLimit-Limit, -Remaining, details
AUDIT_TABLE = "causeloop_audit_auditevent"
READY_TIMEOUT = 60
REPLY_TIMEOUT = 120


class Workers:
    """Worker processes and the parent's end of their pipes.

    ``settings`` overrides the test settings in each worker before ``django.setup()``; its ``CAUSELOOP_ERRORS`` is
    merged into theirs (the test settings write audit repeats at once, ``AUDIT_FLUSH_SECONDS`` 0; a worker standing
    for a deployed process sets the interval back).
    """

    def __init__(self, database_name: str, count: int = 4, settings: dict[str, Any] | None = None) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(count)
        self.pipes: list[Any] = []
        self.processes: list[Any] = []
        for _ in range(count):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=serve, args=(database_name, child_end, self.barrier, settings or {}), daemon=True
            )
            process.start()
            child_end.close()
            self.pipes.append(parent_end)
            self.processes.append(process)
        for pipe in self.pipes:
            self.reply(pipe, READY_TIMEOUT, "ready")

    def send(self, ips: list[str], path: str, count: int, *, together: bool = False) -> list[list[Reply]]:
        """Have worker ``i`` send ``count`` requests from ``ips[i]``; return each worker's replies."""
        return self.run("send", [(ip, path, count, together) for ip in ips])

    def run(self, operation: str, arguments: list[tuple[Any, ...]]) -> list[Any]:
        """Have worker ``i`` run ``operation(*arguments[i])``; return each worker's result."""
        self.start(operation, arguments)
        return [self.reply(pipe, REPLY_TIMEOUT) for pipe in self.pipes]

    def start(self, operation: str, arguments: list[tuple[Any, ...]]) -> None:
        """Send worker ``i`` ``operation(*arguments[i])`` without waiting for its result (``reply`` reads it)."""
        for pipe, args in zip(self.pipes, arguments, strict=True):
            pipe.send((operation, args))

    def close(self) -> list[dict[str, Any]]:
        """Tell every worker to exit; return each one's exit report (once, then []).

        A report holds the audit repeats the worker still had in memory when told to exit (``pending``: its exit
        handler flushes them) and the statements that named the audit table from then on (``audit_sql``).
        """
        reports = []
        for pipe in self.pipes:
            with contextlib.suppress(OSError):  # a worker that already died
                pipe.send(None)
        for pipe in self.pipes:
            with contextlib.suppress(OSError, EOFError):
                if pipe.poll(30):
                    kind, value = pipe.recv()
                    if kind == "exited":
                        reports.append(value)
        for process in self.processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join()
        self.pipes, self.processes = [], []
        return reports

    @staticmethod
    def reply(pipe: Any, timeout: float, expected: str = "ok") -> Any:
        """Return the next message's value from ``pipe``, which must be of kind ``expected``."""
        if not pipe.poll(timeout):
            pytest.fail(f"a worker process gave no answer within {timeout} s")
        kind, value = pipe.recv()
        if kind == "error":
            pytest.fail(f"a worker process failed:\n{value}")
        assert kind == expected, (kind, value)
        return value


def skip_unless_services(what: str) -> None:
    """Skip the calling test module unless make test-services gave it Redis and PostgreSQL (``what`` says why)."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip(f"REDIS_URL is unset: several processes share {what} only through Redis", allow_module_level=True)
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        pytest.skip(
            "DATABASE_URL is not PostgreSQL: the worker processes must share the test database (make test-services)",
            allow_module_level=True,
        )


def require_redis(url: str) -> None:
    """Fail, never skip, when REDIS_URL is set but Redis does not answer: make test-services promised it."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except Exception as exc:
        pytest.fail(f"Redis at {url} is unreachable ({exc.__class__.__name__}: {exc})")


class AuditStatements:
    """An execute wrapper: keeps every statement this process sends that names the audit table."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if AUDIT_TABLE in sql:
            self.sql.append(sql)
        return execute(sql, params, many, context)

    def since(self, start: int) -> list[str]:
        return self.sql[start:]


def serve(database_name: str, pipe: Connection, barrier: Any, settings_overrides: dict[str, Any]) -> None:
    """Set Django up on ``database_name``, then answer ``(operation, arguments)`` messages until ``None``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    # DATABASE_URL names the server's database; the parent's tests run in the test database next to it.
    settings.DATABASES["default"]["NAME"] = database_name
    for name, value in settings_overrides.items():
        merged = {**settings.CAUSELOOP_ERRORS, **value} if name == "CAUSELOOP_ERRORS" else value
        setattr(settings, name, merged)
    statements = AuditStatements()
    exit_start = 0
    pending_at_exit = 0

    def report_exit() -> None:
        # Registered before django.setup() imports the audit repeats, so it runs after their exit flush.
        from django.db import connections

        report = {"pid": os.getpid(), "pending": pending_at_exit, "audit_sql": statements.since(exit_start)}
        with contextlib.suppress(OSError):
            pipe.send(("exited", report))
        connections.close_all()

    atexit.register(report_exit)
    import django

    django.setup()
    from django.db import connections

    connections["default"].execute_wrappers.append(statements)  # the connection object outlives each reconnect
    logging.getLogger("django.request").setLevel(logging.ERROR)  # thousands of 401 and 429 warnings are expected
    operations: dict[str, Callable[..., Any]] = {"send": send, "poll": poll, "audit_flood": audit_flood}
    pipe.send(("ready", os.getpid()))
    while True:
        message = pipe.recv()
        if message is None:
            from causeloop_errors.audit.repeats import repeats

            exit_start = len(statements.sql)
            pending_at_exit = sum(repeats._pending.values())  # repeats counted since the last flush
            return
        operation, args = message
        try:
            pipe.send(("ok", operations[operation](*args, barrier=barrier, pipe=pipe, statements=statements)))
        except Exception:
            pipe.send(("error", traceback.format_exc()))


def _wait(barrier: Any) -> None:
    try:
        barrier.wait(timeout=30)
    except BrokenBarrierError as broken:
        raise RuntimeError("the other workers never arrived") from broken


def _reply(response: Any) -> Reply:
    details = response.json()["error"].get("details") if response.status_code == 429 else None
    return (response.status_code, response.get("X-RateLimit-Limit"), response.get("X-RateLimit-Remaining"), details)


def send(ip: str, path: str, count: int, together: bool, **context: Any) -> list[Reply]:
    """GET ``path`` ``count`` times from ``ip``, back to back; with ``together``, start when every worker is ready."""
    from django.db import connections
    from django.test import Client

    client = Client(REMOTE_ADDR=ip, raise_request_exception=False)
    if together:
        _wait(context["barrier"])
    replies = [_reply(client.get(path)) for _ in range(count)]
    connections.close_all()  # leave no idle connection on the test database, which the parent flushes and drops
    return replies


def poll(ip: str, path: str, limit: str, pause: float, timeout: float, *, pipe: Connection, **context: Any) -> Any:
    """GET ``path`` from ``ip`` every ``pause`` seconds until ``X-RateLimit-Limit`` is ``limit`` (at most ``timeout``).

    Sends ``("polling", time)`` after the first request, so the parent changes the rule while every worker polls.
    Returns the wall-clock times of the last reply under the old limit and of the first under the new one (None
    if it never came), the number of requests, and the replies to that first request and to one more.
    """
    from django.db import connections
    from django.test import Client

    client = Client(REMOTE_ADDR=ip, raise_request_exception=False)
    started = time.time()
    old_at = new_at = None
    requests = 0
    replies: list[Reply] = []
    while True:
        reply = _reply(client.get(path))
        at = time.time()
        requests += 1
        if requests == 1:
            pipe.send(("polling", at))
        if reply[1] == limit:
            new_at = at
            # The first request under the new rate was the first of its counter; one more shows it full.
            replies = [reply, _reply(client.get(path))]
            break
        old_at = at
        if at - started > timeout:
            break
        time.sleep(pause)
    connections.close_all()
    return {"old_at": old_at, "new_at": new_at, "requests": requests, "replies": replies}


def audit_flood(ip: str, path: str, count: int, dedup_seconds: int, **context: Any) -> dict[str, Any]:
    """GET ``path`` ``count`` times from ``ip`` once every worker is ready; report the audit table's statements.

    Also reports the dedup windows (``time // dedup_seconds``) of the first and the last request.
    """
    from django.db import connections
    from django.test import Client

    statements: AuditStatements = context["statements"]
    client = Client(REMOTE_ADDR=ip, raise_request_exception=False)
    _wait(context["barrier"])
    start = len(statements.sql)
    started = time.time()
    statuses = Counter(client.get(path).status_code for _ in range(count))
    ended = time.time()
    connections.close_all()
    return {
        "statuses": dict(statuses),
        "audit_sql": statements.since(start),
        "seconds": ended - started,
        "windows": (int(started) // dedup_seconds, int(ended) // dedup_seconds),
    }
