"""Private Redis and PostgreSQL servers, and the example project served over HTTP, all owned by the test run.

Outage tests stop, pause and restart services; they must never do that to the machine's shared PostgreSQL
(127.0.0.1:5432) or Redis (127.0.0.1:6379). Everything here is started on a free port of its own, in a
temporary directory, as a process whose pid the test holds, and is killed by that pid:

- ``RedisServer``: ``redis-server --port <free> --save "" --appendonly no --daemonize no`` as a child process;
  ``stop()`` kills it, ``pause()`` / ``resume()`` send SIGSTOP / SIGCONT.
- ``PostgresCluster``: ``initdb`` (trust authentication) and ``pg_ctl start`` / ``pg_ctl stop`` on
  127.0.0.1:<free>, its unix socket in the temporary directory. PostgreSQL refuses to run as root, so under root
  the cluster's directory belongs to the ``postgres`` user and the binaries run as that user.
- ``ExampleServer``: the example project behind a threaded WSGI server (``python -m tests.private_services
  serve <port>``), stderr captured to a file; not ``runserver``, whose start-up system checks would refuse to
  serve a database the app's tables are missing from.

Each class has a ``close()`` that the fixtures of ``tests/test_outages.py`` call from a finalizer, so the
processes die even when a test fails. Missing binaries skip the tests with the reason.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
INITDB = "/usr/local/bin/initdb"
PG_CTL = "/usr/local/bin/pg_ctl"
START_TIMEOUT = 60.0  # seconds a service or the server gets to come up: generous, the loops are bounded
COMMAND_TIMEOUT = 120.0  # a manage.py command (migrate on a fresh database)


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _kill(process: subprocess.Popen[Any] | None) -> None:
    """Kill ``process`` by its pid (continuing it first, in case it is stopped) and reap it."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGCONT)
        os.kill(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


# --- Redis -------------------------------------------------------------------------------------------------


class RedisServer:
    """A ``redis-server`` child process on a free port, nothing persisted."""

    def __init__(self) -> None:
        if not Path(REDIS_SERVER).exists():
            pytest.skip(f"redis-server not found ({REDIS_SERVER}): the outage tests need a private Redis")
        self.directory = Path(tempfile.mkdtemp(prefix="causeloop-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.paused = False
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ping():
            if self.process.poll() is not None or time.monotonic() > deadline:
                output = (self.directory / "redis.log").read_text(errors="replace")
                self.close()
                raise RuntimeError(f"private redis-server did not start on port {self.port}:\n{output}")
            time.sleep(0.05)

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill the server (SIGKILL by its pid): clients get ``connection refused`` from now on."""
        _kill(self.process)
        self.paused = False

    def pause(self) -> None:
        """SIGSTOP: the port still accepts connections, nothing answers (a stalled server)."""
        assert self.process is not None and self.process.poll() is None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self) -> None:
        """SIGCONT after ``pause``."""
        assert self.process is not None and self.process.poll() is None
        os.kill(self.process.pid, signal.SIGCONT)
        self.paused = False

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


# --- PostgreSQL ----------------------------------------------------------------------------------------------


class PostgresCluster:
    """A throw-away PostgreSQL cluster: trust authentication, 127.0.0.1:<free port>, socket in its directory."""

    def __init__(self) -> None:
        for binary in (INITDB, PG_CTL):
            if not Path(binary).exists():
                pytest.skip(f"{binary} not found: the outage tests need a private PostgreSQL cluster")
        self.run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse root
            try:
                self.run_as = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres user to run a private PostgreSQL cluster")
        self.directory = Path(tempfile.mkdtemp(prefix="causeloop-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.port = free_port()
        if self.run_as is not None:
            os.chown(self.directory, self.run_as.pw_uid, self.run_as.pw_gid)
        self._run([INITDB, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
        self.start()

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, command: list[str]) -> str:
        """Run a PostgreSQL binary (as the ``postgres`` user under root); raise with its output if it fails."""
        owner: dict[str, Any] = {}
        if self.run_as is not None:
            owner = {"user": self.run_as.pw_uid, "group": self.run_as.pw_gid, "extra_groups": []}
        # Output to a file, not a pipe: the postmaster pg_ctl starts would hold a pipe open after pg_ctl exits.
        with tempfile.TemporaryFile() as output:
            result = subprocess.run(
                command,
                cwd=self.directory,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=START_TIMEOUT + 10,
                check=False,
                **owner,
            )
            output.seek(0)
            text = output.read().decode(errors="replace")
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{text}\n{log}")
        return text

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        timeout = str(int(START_TIMEOUT))
        self._run([PG_CTL, "-D", str(self.data), "-l", str(self.log), "-w", "-t", timeout, "-o", options, "start"])

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: sessions are ended, new connections are refused."""
        self._run([PG_CTL, "-D", str(self.data), "-m", "fast", "-w", "-t", str(int(START_TIMEOUT)), "stop"])

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and _port_open(self.port)

    def ensure_started(self) -> None:
        if not self.running:
            self.start()

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        return None

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run SQL statements in autocommit (CREATE DATABASE cannot run in a transaction)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as connection:
            for statement in statements:
                connection.execute(statement)  # type: ignore[arg-type]  # our own literal statements

    def query(self, statement: str, *, database: str = "postgres") -> list[tuple[Any, ...]]:
        """Return the rows of one SQL statement."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as connection:
            return list(connection.execute(statement).fetchall())  # type: ignore[arg-type]  # our own literal

    def close(self) -> None:
        """Stop the cluster (pg_ctl immediate, else SIGKILL to its postmaster's pid) and remove its files."""
        pid = self.postmaster_pid()
        with contextlib.suppress(Exception):
            self._run([PG_CTL, "-D", str(self.data), "-m", "immediate", "-w", "-t", "20", "stop"])
        if pid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)


# --- The example project --------------------------------------------------------------------------------------


def project_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a process of the example project: its settings, and only our private services."""
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="example_project.settings", DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    env.pop("DJANGO_DEBUG", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``manage.py`` with ``args`` in ``env``; with ``check``, fail with its output if it exits non-zero."""
    result = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def __str__(self) -> str:
        return f"{self.status} in {self.seconds:.2f}s {self.body[:400]!r}"


@dataclass
class ExampleServer:
    """The example project served on a free port by a threaded WSGI server in a child process."""

    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="causeloop-server-"))
        self.stderr_path = self.directory / "stderr.log"

    def start(self) -> ExampleServer:
        stderr = self.stderr_path.open("ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "tests.private_services", "serve", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=stderr,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        stderr.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the example server exited {self.process.returncode}:\n{self.stderr()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                self.request("GET", "/api/nope", timeout=5)  # any answer: the server is up
                return self
            if time.monotonic() > deadline:
                raise RuntimeError(f"the example server did not answer within {START_TIMEOUT}s:\n{self.stderr()}")
            time.sleep(0.1)

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: Any = None,
        timeout: float = 30.0,
    ) -> Response:
        """Send one request on a fresh connection; return the response and the wall time it took."""
        headers = {"Accept": "application/json", "Connection": "close"}
        data = None
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        seconds = time.monotonic() - started
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, content, seconds)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def close(self) -> None:
        _kill(self.process)
        shutil.rmtree(self.directory, ignore_errors=True)


def serve(port: int) -> None:
    """Serve the example project (settings from the environment) on 127.0.0.1:``port``, one thread a request."""
    import django
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    django.setup()
    run("127.0.0.1", port, get_wsgi_application(), threading=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        sys.exit(f"usage: {sys.argv[0]} serve <port>")
