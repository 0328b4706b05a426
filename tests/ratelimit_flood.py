"""A worker process for ``test_ratelimit_processes``: Django with the test settings, driven over a pipe.

Started with multiprocessing's ``spawn`` method, so each worker is a fresh interpreter with its own
Django, its own rule store and its own connections, like one process of a deployed server. It uses the
parent's test database (named by the parent) and the Redis of ``REDIS_URL`` (inherited environment).
"""

from __future__ import annotations

import logging
import os
import traceback
from multiprocessing.connection import Connection
from threading import BrokenBarrierError
from typing import Any

Reply = tuple[int, str | None, str | None, dict[str, Any] | None]  # status, X-RateLimit-Limit, -Remaining, details


def serve(database_name: str, pipe: Connection, barrier: Any) -> None:
    """Set Django up on ``database_name``, then answer ``(ip, path, count, together)`` messages until ``None``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    from django.conf import settings

    # DATABASE_URL names the server's database; the parent's tests run in the test database next to it.
    settings.DATABASES["default"]["NAME"] = database_name
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 140 "Too Many Requests" warnings are expected
    pipe.send(("ready", os.getpid()))
    while True:
        message = pipe.recv()
        if message is None:
            return
        try:
            pipe.send(("ok", send(*message, barrier=barrier)))
        except Exception:
            pipe.send(("error", traceback.format_exc()))


def send(ip: str, path: str, count: int, together: bool, *, barrier: Any) -> list[Reply]:
    """GET ``path`` ``count`` times from ``ip``, back to back; with ``together``, start when every worker is ready."""
    from django.db import connections
    from django.test import Client

    client = Client(REMOTE_ADDR=ip, raise_request_exception=False)
    if together:
        try:
            barrier.wait(timeout=30)
        except BrokenBarrierError as broken:
            raise RuntimeError("the other workers never arrived") from broken
    replies: list[Reply] = []
    for _ in range(count):
        response = client.get(path)
        details = response.json()["error"].get("details") if response.status_code == 429 else None
        replies.append(
            (response.status_code, response.get("X-RateLimit-Limit"), response.get("X-RateLimit-Remaining"), details)
        )
    connections.close_all()  # leave no idle connection on the test database, which the parent flushes and drops
    return replies
