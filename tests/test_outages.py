"""The app's machinery fails open, loudly, and never turns a request into a 500 (issue 11, part 4).

Black-box, over real HTTP: the example project runs in a child process (``tests.private_services.ExampleServer``,
settings ``example_project.settings``) on a private PostgreSQL cluster and a private Redis started for this module
(``tests/private_services.py``), never the machine's shared ones. Then the services fail under it:

- Redis killed: API requests keep their contract answers, a fail-open rate-limit rule lets requests through, a
  fail-closed one answers 503 ``service_unavailable`` with ``Retry-After``, and the cache trouble is one WARNING of
  the ``causeloop_errors`` logger per cause, not one per request (the example's LOGGING sends WARNINGs to stderr).
- Redis stalled (SIGSTOP) with 0.5 s client socket timeouts (``REDIS_SOCKET_TIMEOUT``): every request answers
  within the timeout plus a second, and after SIGCONT the cache is used again.
- PostgreSQL stopped (``pg_ctl stop``): a request that needs the database is 503 with ``Retry-After``, an anonymous
  one is still 401; once PostgreSQL is back the same token works (``CONN_MAX_AGE`` is 0).
- The feature apps' tables missing (``migrate causeloop_policies zero``, ...): ``manage.py check`` fails and
  says ``migrate``, and requests are still answered by their views.

Each database is a copy (``CREATE DATABASE ... TEMPLATE``) of one migrated and seeded by ``seed_demo``.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.private_services import ExampleServer, PostgresCluster, RedisServer, Response, manage, project_env

SOCKET_TIMEOUT = 0.5  # REDIS_SOCKET_TIMEOUT of the stalled-Redis server
SLACK = 1.0  # what a request may take on top of one socket timeout
ALICE = {"username": "alice", "password": "demo-password", "workspace": "initech"}  # initech has no policy
FAIL_OPEN_PATH = "/api/issues"  # covered by an enforcing fail-open IP rule
FAIL_CLOSED_PATH = "/api/me"  # covered by an enforcing fail-closed IP rule
RULES = """
from causeloop_errors.ratelimits.models import RateLimitRule
RateLimitRule.objects.create(name="outage-fail-open", rate="1000/m", key="ip", path_prefix="/api/issues",
                             mode="enforce", fail_closed=False)
RateLimitRule.objects.create(name="outage-fail-closed", rate="1000/m", key="ip", path_prefix="/api/me",
                             mode="enforce", fail_closed=True)
"""
WARNING_LINE = re.compile(r"^\S+ \S+ WARNING \[trace_id=[^\]]*\] (?P<logger>causeloop_errors(?:\.\S+)?): (?P<msg>.*)$")

_copies = itertools.count(1)


# --- services and servers ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def seeded_database(postgres: PostgresCluster) -> str:
    """A database of the private cluster, migrated and seeded (``seed_demo``): the template of every test's."""
    postgres.execute("CREATE DATABASE outages_seeded")
    env = project_env(postgres.url("outages_seeded"))  # no REDIS_URL: set-up needs no shared cache
    manage(env, "migrate", "--no-input", "-v", "0", "--skip-checks")
    manage(env, "seed_demo", "--skip-checks")
    return "outages_seeded"


def copy_database(postgres: PostgresCluster, template: str) -> str:
    postgres.ensure_started()
    name = f"outages_{next(_copies)}"
    postgres.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def start_server(postgres: PostgresCluster, database: str, redis: RedisServer) -> ExampleServer:
    env = project_env(postgres.url(database), redis.url, REDIS_SOCKET_TIMEOUT=str(SOCKET_TIMEOUT))
    server = ExampleServer(env)
    try:
        return server.start()
    except BaseException:
        server.close()
        raise


def stderr_tail(server: ExampleServer, lines: int = 40) -> str:
    return "\n".join(server.stderr().splitlines()[-lines:])


def get_token(server: ExampleServer) -> str:
    response = server.request("POST", "/auth/token", body=ALICE)
    assert response.status == 200, f"POST /auth/token: {response}\n{stderr_tail(server)}"
    return str(response.json()["access_token"])


class RedisOutage:
    """A server on a copy of the seeded database with the two rules, its Redis, and what it answered before."""

    def __init__(self, postgres: PostgresCluster, seeded_database: str) -> None:
        self.redis = RedisServer()
        self.server: ExampleServer | None = None
        try:
            database = copy_database(postgres, seeded_database)
            manage(project_env(postgres.url(database)), "shell", "-c", RULES)
            self.server = start_server(postgres, database, self.redis)
            # While Redis is up, the server reads the rules: both paths come back with the rules' pacing headers.
            self.before = {path: self.server.request("GET", path) for path in (FAIL_OPEN_PATH, FAIL_CLOSED_PATH)}
            for path, response in self.before.items():
                assert response.status == 401, f"GET {path} with Redis up: {response}"
                assert response.header("X-RateLimit-Limit") == "1000", (
                    f"GET {path} with Redis up has no pacing headers of its rule: {response.headers}"
                )
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        self.redis.close()


# --- assertions -------------------------------------------------------------------------------------------------


def assert_envelope(response: Response, status: int, code: str, server: ExampleServer) -> dict[str, Any]:
    """``response`` is ``status`` with the Causeloop envelope of ``code``, and ``X-Request-Id`` is its trace id."""
    assert response.status == status, f"expected {status} {code}, got {response}\n--- server stderr ---\n" + (
        stderr_tail(server)
    )
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert error["code"] == code, body
    assert error["trace_id"], body
    assert response.header("X-Request-Id") == error["trace_id"], (response.headers, body)
    return dict(error)


def assert_service_unavailable(response: Response, server: ExampleServer) -> None:
    assert_envelope(response, 503, "service_unavailable", server)
    retry_after = response.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1, response.headers


def cache_warnings(server: ExampleServer) -> list[str]:
    """The messages of the WARNING records of the ``causeloop_errors`` loggers that are about the cache."""
    messages = []
    for line in server.stderr().splitlines():
        match = WARNING_LINE.match(line)
        if match and "cache" in match["msg"].lower():
            messages.append(match["msg"])
    return messages


def cause_of(message: str) -> str:
    """A warning without its exception text (in parentheses): what stays the same for one cause."""
    previous = None
    while previous != message:
        previous, message = message, re.sub(r"\([^()]*\)", "()", message)
    return message


# --- Redis killed ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def redis_stopped(postgres: PostgresCluster, seeded_database: str) -> Iterator[RedisOutage]:
    outage = RedisOutage(postgres, seeded_database)
    try:
        outage.redis.stop()
        yield outage
    finally:
        outage.close()


class TestRedisStopped:
    def test_anonymous_api_request_answers_401_envelope_not_500(self, redis_stopped: RedisOutage) -> None:
        server = redis_stopped.server
        assert server is not None
        assert_envelope(server.request("GET", "/api/issues"), 401, "unauthorized", server)

    def test_admin_login_page_answers_200(self, redis_stopped: RedisOutage) -> None:
        server = redis_stopped.server
        assert server is not None
        response = server.request("GET", "/admin/login/")
        assert response.status == 200, f"{response}\n{stderr_tail(server)}"

    def test_fail_open_rule_lets_the_request_through(self, redis_stopped: RedisOutage) -> None:
        server = redis_stopped.server
        assert server is not None
        for _ in range(3):
            assert_envelope(server.request("GET", FAIL_OPEN_PATH), 401, "unauthorized", server)

    def test_fail_closed_rule_answers_503_with_retry_after(self, redis_stopped: RedisOutage) -> None:
        server = redis_stopped.server
        assert server is not None
        for _ in range(3):
            assert_service_unavailable(server.request("GET", FAIL_CLOSED_PATH), server)

    def test_cache_failure_is_one_warning_per_cause_not_one_per_request(self, redis_stopped: RedisOutage) -> None:
        server = redis_stopped.server
        assert server is not None
        paths = itertools.cycle([FAIL_OPEN_PATH, FAIL_CLOSED_PATH, "/admin/login/", "/api/nope"])
        statuses = Counter(server.request("GET", next(paths)).status for _ in range(20))
        assert 500 not in statuses, statuses
        warnings = cache_warnings(server)
        assert warnings, f"no WARNING of logger causeloop_errors about the cache on stderr:\n{stderr_tail(server)}"
        repeated = {cause: count for cause, count in Counter(map(cause_of, warnings)).items() if count > 1}
        assert not repeated, f"{len(warnings)} cache warnings for 20+ requests, repeated: {repeated}"


# --- Redis stalled ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def redis_paused(postgres: PostgresCluster, seeded_database: str) -> Iterator[RedisOutage]:
    outage = RedisOutage(postgres, seeded_database)
    try:
        outage.redis.pause()
        yield outage
    finally:
        outage.close()  # continues and kills Redis


def stalled_round(server: ExampleServer) -> list[tuple[str, Response]]:
    """One of each request of the Redis tests, each timed."""
    requests = [("GET", FAIL_OPEN_PATH), ("GET", "/admin/login/"), ("GET", FAIL_CLOSED_PATH), ("GET", "/api/nope")]
    return [(f"{method} {path}", server.request(method, path, timeout=30)) for method, path in requests]


class TestRedisPaused:
    def test_every_request_answers_within_the_socket_timeout_and_never_500(self, redis_paused: RedisOutage) -> None:
        server = redis_paused.server
        assert server is not None
        results = stalled_round(server) + stalled_round(server)
        time.sleep(5.5)  # idle long enough for any short back-off to run out: the cache is tried again
        results += stalled_round(server)
        report = "\n".join(f"  {name}: {response}" for name, response in results)
        slow = [name for name, response in results if response.seconds > SOCKET_TIMEOUT + SLACK]
        failed = [name for name, response in results if response.status >= 500 and response.status != 503]
        assert not slow and not failed, (
            f"over {SOCKET_TIMEOUT + SLACK}s: {slow}; 5xx other than 503: {failed}\n{report}\n"
            f"--- server stderr ---\n{stderr_tail(server)}"
        )
        expected = {f"GET {FAIL_OPEN_PATH}": 401, "GET /admin/login/": 200, f"GET {FAIL_CLOSED_PATH}": 503}
        wrong = [(name, r.status) for name, r in results if expected.get(name, r.status) != r.status]
        assert not wrong, f"unexpected statuses {wrong}\n{report}"

    def test_requests_work_again_once_redis_resumes(self, redis_paused: RedisOutage) -> None:
        server = redis_paused.server
        assert server is not None
        redis_paused.redis.resume()
        deadline = time.monotonic() + 10
        seen: list[str] = []
        while True:
            closed, opened = server.request("GET", FAIL_CLOSED_PATH), server.request("GET", FAIL_OPEN_PATH)
            seen.append(f"{closed.status}/{opened.status}")
            assert 500 not in (closed.status, opened.status), f"{closed}\n{opened}\n{stderr_tail(server)}"
            if closed.status == 401 and opened.header("X-RateLimit-Limit") == "1000":
                break
            assert time.monotonic() < deadline, (
                f"10 s after SIGCONT the rules still do not count in Redis ({FAIL_CLOSED_PATH} / {FAIL_OPEN_PATH} "
                f"statuses: {seen}); last: {closed} / {opened} {opened.headers}"
            )
            time.sleep(0.25)
        assert_envelope(closed, 401, "unauthorized", server)
        assert_envelope(opened, 401, "unauthorized", server)


# --- The app's tables missing -------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def tables_missing(postgres: PostgresCluster, seeded_database: str) -> Iterator[ExampleServer]:
    """A server on a copy of the seeded database whose app migrations are unapplied (``migrate ... zero``)."""
    redis = RedisServer()
    server: ExampleServer | None = None
    try:
        database = copy_database(postgres, seeded_database)
        env = project_env(postgres.url(database))
        # The demo's migrations do not depend on the app's, so Django can unapply the app's alone.
        for label in ("causeloop_policies", "causeloop_ratelimits", "causeloop_audit"):
            manage(env, "migrate", label, "zero", "--no-input", "-v", "0", "--skip-checks")
        left = postgres.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'causeloop_%'", database=database)
        assert not left, f"migrate <feature app> zero left {left}"
        server = start_server(postgres, database, redis)
        yield server
    finally:
        if server is not None:
            server.close()
        redis.close()


class TestAppTablesMissing:
    def test_manage_py_check_fails_and_says_migrate(self, tables_missing: ExampleServer) -> None:
        result = manage(tables_missing.env, "check", check=False)
        output = result.stdout + result.stderr
        assert result.returncode != 0, f"manage.py check exited 0 without the app's tables:\n{output}"
        assert "migrate" in output, output

    def test_token_request_answers_200(self, tables_missing: ExampleServer) -> None:
        token = get_token(tables_missing)
        response = tables_missing.request("GET", "/api/issues", token=token)
        assert response.status == 200, f"{response}\n{stderr_tail(tables_missing)}"
        assert response.json() == {"results": []}

    def test_anonymous_request_answers_401_envelope(self, tables_missing: ExampleServer) -> None:
        assert_envelope(tables_missing.request("GET", "/api/issues"), 401, "unauthorized", tables_missing)


# --- PostgreSQL stopped ---------------------------------------------------------------------------------------


class DatabaseOutage:
    def __init__(self, postgres: PostgresCluster, server: ExampleServer, token: str) -> None:
        self.postgres, self.server, self.token = postgres, server, token


@pytest.fixture(scope="class")
def postgres_stopped(postgres: PostgresCluster, seeded_database: str) -> Iterator[DatabaseOutage]:
    redis = RedisServer()
    server: ExampleServer | None = None
    try:
        server = start_server(postgres, copy_database(postgres, seeded_database), redis)
        token = get_token(server)
        response = server.request("GET", "/api/issues", token=token)
        assert response.status == 200, f"GET /api/issues with PostgreSQL up: {response}"
        postgres.stop()
        yield DatabaseOutage(postgres, server, token)
    finally:
        if server is not None:
            server.close()
        redis.close()
        postgres.ensure_started()


class TestPostgresStopped:
    def test_token_request_answers_503_with_retry_after(self, postgres_stopped: DatabaseOutage) -> None:
        server = postgres_stopped.server
        for _ in range(2):
            assert_service_unavailable(server.request("GET", "/api/issues", token=postgres_stopped.token), server)

    def test_anonymous_request_answers_503_too_never_500(self, postgres_stopped: DatabaseOutage) -> None:
        # ATOMIC_REQUESTS opens the request's transaction before DRF authenticates: no view runs without a database.
        server = postgres_stopped.server
        assert_service_unavailable(server.request("GET", "/api/issues"), server)

    def test_token_request_answers_200_once_postgres_is_back(self, postgres_stopped: DatabaseOutage) -> None:
        server = postgres_stopped.server
        postgres_stopped.postgres.ensure_started()
        started = time.monotonic()
        statuses = []
        while True:  # the first request must succeed; the loop only measures how long a failure lasts
            response = server.request("GET", "/api/issues", token=postgres_stopped.token)
            statuses.append(response.status)
            if response.status == 200 or time.monotonic() - started > 10:
                break
            time.sleep(0.25)
        assert statuses[0] == 200, (
            f"first request after PostgreSQL restarted: {statuses[0]}; statuses until 200 or 10 s: {statuses} "
            f"({time.monotonic() - started:.1f}s); last: {response}\n{stderr_tail(server)}"
        )
