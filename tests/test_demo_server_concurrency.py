"""The demo as ``make demo`` serves it, under concurrent duplicate creates: one 201, the rest 409, never a 500.

A server process of its own (``manage.py runserver``, threaded, with ``example_project.settings``) on a database
of its own: a SQLite file (WAL, ``IMMEDIATE`` transactions, a busy timeout: the settings' ``OPTIONS``), or, under
``make test-services``, a scratch PostgreSQL database on the server of ``DATABASE_URL``. The test database of
pytest-django cannot stand in for it on SQLite: it is in memory, shared by the threads of one process, so it
neither journals nor locks like the demo's file.

Twenty clients connect, wait at a barrier, then post the same service account name at once. Each 409 must be
the ``conflict`` envelope traced by its ``X-Request-Id``. With the demo's settings a 409 is not audited (``conflict``
is not among the default ``AUDIT_CODES``); a second server audits it, and the nineteen refusals must then add
up to nineteen occurrences, read back over ``GET /api/audit-events`` with the staff token of ``admin``.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from example_project.demo.views import DUPLICATE_SERVICE_ACCOUNT

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
SETTINGS = {
    "demo-settings": "example_project.settings",
    "conflicts-audited": "tests.demo_settings_conflicts_audited",
}
STARTUP_SECONDS = 60
REQUEST_SECONDS = 60


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any


@dataclass
class DemoServer:
    host: str
    port: int
    settings: str
    log: Path

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_SECONDS)
        conn.connect()
        return conn

    def send(
        self, method: str, path: str, body: Any = None, token: str = "", conn: http.client.HTTPConnection | None = None
    ) -> Answer:
        conn = conn or self.connect()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, None if body is None else json.dumps(body), headers)
            response = conn.getresponse()
            raw = response.read()
            return Answer(response.status, response.headers, json.loads(raw) if raw else None)
        finally:
            conn.close()

    def token(self, username: str, workspace: str) -> str:
        grant = {"username": username, "password": "demo-password", "workspace": workspace}
        answer = self.send("POST", "/auth/token", grant)
        assert answer.status == 200, answer.body
        return str(answer.body["access_token"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _scratch_database(directory: Path) -> Iterator[str]:
    """Yield the ``DATABASE_URL`` of an empty database of the test's backend, dropped afterwards."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{directory / 'demo.sqlite3'}"
        return
    if connection.vendor != "postgresql":
        pytest.skip(f"a scratch database is made for SQLite and PostgreSQL only, not {connection.vendor}")
    import psycopg
    from psycopg import sql

    params = connection.settings_dict
    credentials = quote(params["USER"] or "", safe="") + (
        f":{quote(params['PASSWORD'], safe='')}" if params["PASSWORD"] else ""
    )
    server = f"postgres://{credentials}@{params['HOST'] or 'localhost'}:{params['PORT'] or 5432}"
    name = f"causeloop_demo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as maintenance:
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as maintenance:
            maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}"


def _wait_until_serving(server: DemoServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the demo server exited with {process.returncode}:\n{server.log.read_text()}")
        try:
            if server.send("GET", "/api/nope").status == 404:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the demo server did not answer within {STARTUP_SECONDS}s:\n{server.log.read_text()}")


@pytest.fixture(params=list(SETTINGS))
def demo_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DemoServer]:
    """Migrate and seed a scratch database, like ``make demo``, and serve it with ``runserver`` on a free port."""
    settings = SETTINGS[request.param]
    with _scratch_database(tmp_path) as database_url:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "DATABASE_URL": database_url}
        env.pop("REDIS_URL", None)  # the demo's local-memory cache: no count shared with other users of the Redis
        _manage(env, "migrate", "--noinput")
        _manage(env, "seed_demo")
        server = DemoServer("127.0.0.1", _free_port(), settings, tmp_path / "runserver.log")
        with server.log.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"{server.host}:{server.port}"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_serving(server, process)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _post_together(server: DemoServer, token: str, body: dict[str, str]) -> list[Answer]:
    """Post ``body`` from ``CLIENTS`` threads, each connected before the barrier releases them all at once."""
    everyone_connected = threading.Barrier(CLIENTS)

    def post(_: int) -> Answer:
        conn = server.connect()
        everyone_connected.wait(timeout=REQUEST_SECONDS)
        return server.send("POST", "/api/service-accounts", body, token, conn)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(post, range(CLIENTS)))


def test_concurrent_duplicate_creates_on_the_demo_server_get_one_201_and_409_conflicts(
    demo_server: DemoServer,
) -> None:
    token = demo_server.token("alice", "initech")  # initech: the open workspace

    answers = _post_together(demo_server, token, {"name": "ci-bot"})

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {201: 1, 409: CLIENTS - 1}, (statuses, demo_server.log.read_text()[-4000:])
    [created] = [answer for answer in answers if answer.status == 201]
    assert created.body["name"] == "ci-bot"
    refused = [answer for answer in answers if answer.status == 409]
    for answer in refused:
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.body == {
            "error": {
                "code": "conflict",
                "message": DUPLICATE_SERVICE_ACCOUNT,
                "details": {"name": DUPLICATE_SERVICE_ACCOUNT},
                "trace_id": answer.headers["X-Request-Id"],
            }
        }

    # Every audit event of the refused requests, read by the demo's staff superuser like support would.
    staff = demo_server.token("admin", "initech")
    refused_ids = {answer.headers["X-Request-Id"] for answer in refused}
    events: dict[str, dict[str, Any]] = {}
    for trace_id in refused_ids | {created.headers["X-Request-Id"]}:
        found = demo_server.send("GET", f"/api/audit-events?trace_id={trace_id}", token=staff)
        assert found.status == 200, found.body
        events.update((event["trace_id"], event) for event in found.body["results"])

    if demo_server.settings == SETTINGS["demo-settings"]:
        assert events == {}  # the demo audits no 409, and there was no 500 to audit
    else:
        assert {event["action"] for event in events.values()} == {"api.conflict"}
        assert sum(event["occurrences"] for event in events.values()) == CLIENTS - 1  # none lost
        assert {event["last_trace_id"] for event in events.values()} | set(events) <= refused_ids
