"""Per-request cost of causeloop_errors: the app wired in versus plain DRF, on the same views, in one process.

Method
------
* One settings module (``benchmarks/settings.py``) and two ``WSGIHandler`` instances built from it:
  ``app`` loads ``MIDDLEWARE`` as configured (``ErrorEnvelopeMiddleware`` first), ``plain`` is built under
  ``override_settings`` with that middleware removed. Every other setting is shared.
* The same view code is routed twice (``benchmarks/views.py``): under ``/app/`` through subclasses whose
  ``get_exception_handler`` returns the app's handler, under ``/plain/`` through subclasses returning DRF's
  default handler. So ``plain`` is exactly "DRF without this app". Each handler resolves against its own
  one-prefix URLconf (``urls_app`` / ``urls_plain``, set as ``request.urlconf`` by its request class), so
  URL resolving is identical work in both: with one shared URLconf the second prefix pays a failed match.
* Four paths: a 200 (APIView returning a small JSON object), a 404 (``Http404`` as raised by
  ``get_object_or_404``), a 400 (a serializer nested three levels deep, with a ``many=True`` list and a
  ``ListField``, nine invalid fields) and a 500 (``RuntimeError``; plain DRF re-raises it and Django's
  ``response_for_exception`` answers with its HTML 500 page).
* Requests go in-process through ``WSGIHandler.__call__`` (request_started, middleware, URL resolving,
  view, request_finished via ``response.close()``), as a WSGI server would drive it; no socket. WSGI
  environs are built before each timed block, so only the handler is timed. Logging keeps its usual
  levels but every handler is a ``NullHandler``: records are created, never formatted or written.
  One shared cost: the app's ``request_finished`` receiver (``trace.clear_trace_id``) is connected for the
  whole process, so ``plain`` pays it too (a signal receiver and a ``ContextVar.set``, well under 1 us).
* Before timing, each response is checked once per configuration: ``app`` answers are envelopes
  ``{"error": {code, message, trace_id, ...}}`` with a matching ``X-Request-Id``, made by the app's DRF
  exception handler (not by the middleware's fallback for foreign error responses); ``plain`` answers are
  DRF's (``{"detail": ...}``, the nested field dict) or Django's HTML 500, without ``X-Request-Id``.
* SQL queries per request are counted with ``CaptureQueriesContext`` for every path and configuration.
* After a warm-up, R rounds; in each round every path runs a block of N requests per configuration,
  ``app``/``plain`` order alternating between rounds (and between paths) so drift hits both alike. A block
  is timed with ``time.perf_counter_ns``; its mean is one sample. Reported: the median of the per-round
  means per configuration, their ratio (the verdict), the median of the per-round paired ratios (a
  drift-robust cross-check), and the spread (interquartile range / median) of the samples.
* Targets: success <= 1.10x, error paths <= 1.25x. Timings are reported, not enforced (machines vary).

Rate limits (same run, after the audit rows; ``--rate-rounds``, default 10)
---------------------------------------------------------------------------
* The success path through the ``app`` handler (``/app/`` views carry the app's ``RateLimitRuleThrottle``;
  ``/plain/`` views no throttle) in three states, on each cache: ``none``, no rule exists; ``rule``, one
  enforcing IP rule covering ``/app/`` (rate ``1000000/h``: counted, never refused), counted by
  django-ratelimit; ``drf``, no rule, the view with DRF's ``AnonRateThrottle`` added, its ``cache`` set to
  the same cache (DRF's default is ``default_cache``), same rate. The caches (``settings.py``): the
  local-memory cache, Redis through django-redis (the recommended configuration) and Redis through Django's
  own ``RedisCache`` (``rule`` and ``none`` only: it shows the third round trip). Redis is ``REDIS_URL``,
  default ``redis://127.0.0.1:6379/0``, keys under a ``causeloop-bench-*`` prefix; if it does not answer,
  the Redis rows are skipped and the report says so.
* Per block, ``RATELIMIT_USE_CACHE`` and ``POLICY_CACHE_ALIAS`` (the rules' version stamp) are pointed at
  the block's cache, the rule enabled or disabled and the stamp bumped (as an admin save does), DRF's
  history for the client cleared, and one untimed request reloads the rules and is checked (the rule's
  ``X-RateLimit-Limit`` present only in ``rule``; DRF's history written to that cache in ``drf``). Blocks
  are interleaved as above; reported: the median per-round mean, the difference and ratio to ``none``.
* Round trips: a counting pass per state wraps ``redis.Redis.execute_command`` (each command is one round
  trip; django-redis's ``incr`` is a single EVAL) and, for the local-memory cache, counts calls on the
  cache object. Per rule = ``rule`` - ``none``; ``none`` itself is the version-stamp read, one per request.
* Targets: a rule adds at most 10% on the local-memory cache; on django-redis a rule costs no more than
  DRF's ``AnonRateThrottle`` and at most two round trips.

Audit events (same run, between the two tables; ``--audit-rounds``, default 10)
------------------------------------------------------------------------------
* ``GET /app/forbidden``: a view raising the app's ``Forbidden`` (403 ``forbidden``), through the ``app``
  handler, in two states: ``off``, the settings (``AUDIT_CODES`` is ``[]``, as for the table above); ``on``,
  the same settings without ``AUDIT_CODES`` (its default includes ``forbidden``), applied with
  ``override_settings`` around that state's blocks only. With audit on, the middleware records the envelope
  after the view; identical denials share one ``AuditEvent`` row (first request an INSERT, repeats an UPDATE).
* Checked once per state: the 403 envelope from the app's handler, and one ``auth.forbidden`` row (on) or
  none (off). Blocks interleaved as above; reported: the median per-round mean per state and their ratio.
* Queries: each of 10 requests captured on its own, from an empty table; INSERT and UPDATE statements are
  counted from the captured SQL. Target: at most one INSERT per audited request, and no query when off.

Exit status: 1 if the app changes the number of SQL queries on some path, makes one on a rate-limit row or
on the audit ``off`` row, writes more than one INSERT for an audited request, or a rule costs more than two
round trips on django-redis; 2 if a check above fails (the benchmark would
not be measuring the app); 0 otherwise. Timings never fail the run.

Run ``make bench`` or ``.venv/bin/python benchmarks/run.py`` from the repository root; ``--help`` lists
the knobs, and ``--profile PATH`` prints a cProfile of one path instead of timing.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import logging
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ("app", "plain")
PATHS = ("success", "not_found", "validation", "server_error")
SUCCESS_TARGET = 1.10
ERROR_TARGET = 1.25
QUERY_SAMPLE = 10

Environ = dict[str, Any]
Handler = Callable[[Environ, Callable[..., Any]], Any]


class BenchmarkError(Exception):
    """The benchmark is not measuring what it claims to (wrong wiring, wrong responses)."""


@dataclass(frozen=True)
class Case:
    """One benchmarked path: its view name, request, expected status and target ratio."""

    name: str
    method: str
    body: bytes
    status: int
    target: float


@dataclass
class Result:
    """Samples (per-round mean µs per request) and query counts of one path, per configuration."""

    case: Case
    samples: dict[str, list[float]]
    queries: dict[str, float]

    def median(self, config: str) -> float:
        return statistics.median(self.samples[config])

    def ratio(self) -> float:
        return self.median("app") / self.median("plain")

    def paired_ratio(self) -> float:
        return statistics.median(a / p for a, p in zip(self.samples["app"], self.samples["plain"], strict=True))

    def spread(self, config: str) -> float:
        values = self.samples[config]
        if len(values) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(values, n=4)
        return (q3 - q1) / self.median(config)

    def passed(self) -> bool:
        return self.ratio() <= self.case.target


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise BenchmarkError(message)


# --------------------------------------------------------------------------- setup


def _setup_django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"  # never a host's settings from the shell
    import django

    django.setup()
    from django.core.management import call_command

    # The app reads its rate-limit rules from the database (once per process, then when their stamp changes)
    # and writes audit events there; AuditEvent's foreign key to the user model brings in the auth tables.
    call_command("migrate", run_syncdb=True, verbosity=0)


def _cases() -> list[Case]:
    from benchmarks.views import INVALID_ORDER

    success, not_found, validation, server_error = PATHS
    return [
        Case(success, "GET", b"", 200, SUCCESS_TARGET),
        Case(not_found, "GET", b"", 404, ERROR_TARGET),
        Case(validation, "POST", json.dumps(INVALID_ORDER).encode(), 400, ERROR_TARGET),
        Case(server_error, "GET", b"", 500, ERROR_TARGET),
    ]


def _check_logging_silenced() -> None:
    """Every handler a request's log record can reach must discard it."""
    for name in ("django.request", "django.security", "causeloop_errors", "benchmarks"):
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                _expect(type(handler) is logging.NullHandler, f"logger {logger.name!r} has handler {handler!r}")
            logger = logger.parent if logger.propagate else None


def _build_handlers() -> dict[str, Handler]:
    """Return one ``WSGIHandler`` per configuration, differing only in middleware and URLconf.

    Each handler's request class carries ``urlconf`` (Django's per-request URLconf hook), so each
    configuration resolves its own one-prefix URLconf and URL resolving costs the same in both.
    """
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
    from django.test import override_settings

    app_middleware = list(settings.MIDDLEWARE)
    _expect(app_middleware[:1] == [settings.APP_MIDDLEWARE], "the app's middleware must come first in MIDDLEWARE")
    plain_middleware = [name for name in app_middleware if name != settings.APP_MIDDLEWARE]
    handlers: dict[str, Handler] = {}
    for config, middleware in (("app", app_middleware), ("plain", plain_middleware)):
        name = config.title()
        request_class = type(f"{name}Request", (WSGIRequest,), {"urlconf": f"benchmarks.urls_{config}"})
        handler_class = type(f"{name}WSGIHandler", (WSGIHandler,), {"request_class": request_class})
        with override_settings(MIDDLEWARE=middleware):
            handlers[config] = handler_class()  # __init__ runs load_middleware() under the override
    return handlers


def _environ(config: str, case: Case) -> Environ:
    environ: Environ = {
        "REQUEST_METHOD": case.method,
        "PATH_INFO": f"/{config}/{case.name}",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(case.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if case.body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(case.body))
    return environ


def _ignore_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def _drive(handler: Handler, environs: Iterable[Environ]) -> None:
    """Serve each environ the way a WSGI server does: call, consume the body, close."""
    for environ in environs:
        response = handler(environ, _ignore_start_response)
        for _chunk in response:
            pass
        response.close()


@dataclass(frozen=True)
class Reply:
    """What a client would see, plus whether DRF's ``handle_exception`` produced the response."""

    status: int
    headers: dict[str, str]
    body: bytes
    from_view_handler: bool  # APIView.handle_exception marks its responses ``exception = True``


def _request(handler: Handler, environ: Environ) -> Reply:
    started: list[Any] = []
    response = handler(environ, lambda status, headers, exc_info=None: started.extend((status, headers)))
    body = b"".join(response)
    response.close()
    status, headers = started
    return Reply(
        int(status.split()[0]),
        {name.lower(): value for name, value in headers},
        body,
        getattr(response, "exception", False) is True,
    )


# --------------------------------------------------------------------------- checks


def _check_app(case: Case, reply: Reply) -> None:
    where = f"app/{case.name}"
    _expect(reply.status == case.status, f"{where}: status {reply.status}, expected {case.status}")
    trace_id = reply.headers.get("x-request-id")
    _expect(bool(trace_id), f"{where}: no X-Request-Id, so the middleware did not run")
    data = json.loads(reply.body)
    if case.status < 400:
        _expect("error" not in data, f"{where}: unexpected envelope {data!r}")
        return
    # Not the middleware's fallback (which would also give an envelope): the view's exception handler made it.
    _expect(reply.from_view_handler, f"{where}: the envelope did not come from the app's exception handler")
    _expect(reply.headers.get("content-type", "").startswith("application/json"), f"{where}: not JSON")
    error = data.get("error") if isinstance(data, dict) else None
    _expect(isinstance(error, dict) and set(data) == {"error"}, f"{where}: not an envelope: {data!r}")
    assert isinstance(error, dict)
    _expect({"code", "message", "trace_id"} <= error.keys(), f"{where}: envelope misses keys: {error!r}")
    _expect(error["trace_id"] == trace_id, f"{where}: trace_id {error['trace_id']!r} != X-Request-Id {trace_id!r}")
    expected_code = {404: "not_found", 400: "validation_error", 500: "internal_error"}[case.status]
    _expect(error["code"] == expected_code, f"{where}: code {error['code']!r}, expected {expected_code!r}")
    if case.status == 400:
        details = error.get("details") or {}
        for dotted in ("customer.address.postcode", "lines.1.quantity", "tags.1"):
            _expect(dotted in details, f"{where}: no {dotted!r} in details {details!r}")


def _check_plain(case: Case, reply: Reply) -> None:
    where = f"plain/{case.name}"
    _expect(reply.status == case.status, f"{where}: status {reply.status}, expected {case.status}")
    _expect("x-request-id" not in reply.headers, f"{where}: X-Request-Id present, so the app's middleware ran")
    if case.status == 500:
        _expect(reply.headers.get("content-type", "").startswith("text/html"), f"{where}: not Django's HTML 500")
        _expect(b"Server Error (500)" in reply.body, f"{where}: not Django's 500 page: {reply.body[:200]!r}")
        return
    data = json.loads(reply.body)
    if case.status == 404:
        _expect(set(data) == {"detail"}, f"{where}: not DRF's {{'detail': ...}}: {data!r}")
    elif case.status == 400:
        _expect(
            "error" not in data and "customer" in data and "address" in data["customer"],
            f"{where}: not DRF's nested field errors: {data!r}",
        )


def _verify(handlers: dict[str, Handler], cases: list[Case]) -> None:
    from benchmarks.views import SUCCESS_BODY

    for case in cases:
        replies = {config: _request(handlers[config], _environ(config, case)) for config in CONFIGS}
        _check_app(case, replies["app"])
        _check_plain(case, replies["plain"])
        if case.status == 200:
            bodies = {config: json.loads(replies[config].body) for config in CONFIGS}
            _expect(bodies["app"] == bodies["plain"] == SUCCESS_BODY, f"success bodies differ: {bodies!r}")


def _count_queries(handler: Handler, config: str, case: Case) -> float:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    environs = [_environ(config, case) for _ in range(QUERY_SAMPLE)]
    with ExitStack() as stack:
        contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        _drive(handler, environs)
    return sum(len(context.captured_queries) for context in contexts) / QUERY_SAMPLE


# --------------------------------------------------------------------------- timing


def _time_block(handler: Handler, config: str, case: Case, requests: int) -> float:
    """Return the mean µs per request of one block of ``requests`` requests."""
    environs = [_environ(config, case) for _ in range(requests)]
    gc.collect()
    start = time.perf_counter_ns()
    _drive(handler, environs)
    elapsed = time.perf_counter_ns() - start
    return elapsed / requests / 1000


def _measure(
    handlers: dict[str, Handler], cases: list[Case], rounds: int, requests: int
) -> dict[str, dict[str, list[float]]]:
    samples: dict[str, dict[str, list[float]]] = {case.name: {config: [] for config in CONFIGS} for case in cases}
    for round_index in range(rounds):
        for case_index, case in enumerate(cases):
            order = CONFIGS if (round_index + case_index) % 2 == 0 else CONFIGS[::-1]
            for config in order:
                samples[case.name][config].append(_time_block(handlers[config], config, case, requests))
    return samples


def _profile(handler: Handler, config: str, case: Case, requests: int, limit: int) -> None:
    environs = [_environ(config, case) for _ in range(requests)]
    profiler = cProfile.Profile()
    profiler.enable()
    _drive(handler, environs)
    profiler.disable()
    print(f"cProfile of {requests} requests to /{config}/{case.name}\n")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print("== by cumulative time")
    stats.sort_stats("cumulative").print_stats(limit)
    print("== by own time")
    stats.sort_stats("tottime").print_stats(limit)
    print("== causeloop_errors functions, by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats("causeloop_errors")


# --------------------------------------------------------------------------- rate limits

RL_RULE = "bench-ip"
RL_RATE = "1000000/h"  # never refuses during the benchmark; django-ratelimit's cost does not depend on the count
RL_LIMIT = RL_RATE.split("/")[0]
RL_LOCAL_TARGET = 1.10
RL_TRIPS_TARGET = 2
DRF_HISTORY_KEY = "throttle_anon_127.0.0.1"  # AnonRateThrottle's cache key for REMOTE_ADDR 127.0.0.1


@dataclass(frozen=True)
class RateCache:
    """A cache the rate-limit rows count on, and which of 'none', 'rule', 'drf' are timed on it."""

    alias: str
    label: str
    kinds: tuple[str, ...]
    target: bool  # whether the issue's targets apply (the configuration the README recommends)


RATE_CACHES = (
    RateCache("default", "locmem", ("none", "rule", "drf"), True),
    RateCache("redis", "redis (django-redis)", ("none", "rule", "drf"), True),
    # Django's own RedisCache: shown for its third round trip per rule; DRF's throttle on it is not timed.
    RateCache("redis_django", "redis (Django RedisCache)", ("none", "rule"), False),
)


@dataclass(frozen=True)
class RateConfig:
    """One measured cell: a cache alias and what counts the request ("none": no rule exists; "rule": one
    enforcing IP rule; "drf": no rule, DRF's AnonRateThrottle on the same cache)."""

    alias: str
    kind: str

    @property
    def case(self) -> Case:
        name = f"success_anon_{self.alias}" if self.kind == "drf" else "success"
        return Case(name, "GET", b"", 200, RL_LOCAL_TARGET)

    def environ(self) -> Environ:
        return _environ("app", self.case)


@dataclass(frozen=True)
class RateCounts:
    """Per request, from a counting pass: calls on the cache object, Redis commands sent, SQL queries."""

    calls: float
    trips: float
    queries: float


def _redis_problem(caches_used: tuple[RateCache, ...]) -> str | None:
    """Return why Redis cannot be used (unreachable, client missing), or None when every Redis alias answers."""
    from django.core.cache import caches

    try:
        for cache in caches_used:
            if cache.alias != "default":
                caches[cache.alias].get("causeloop-bench-probe")
    except Exception as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


@contextmanager
def _counting(alias: str) -> Iterator[dict[str, int]]:
    """Count calls on cache ``alias`` and every command the redis client sends (one command, one round trip:
    the cache backends send no pipelines here; django-redis's ``incr`` is one EVAL)."""
    from django.core.cache import caches

    try:
        import redis
    except ImportError:  # no Redis rows then; locmem is counted by its calls
        redis = None  # type: ignore[assignment]
    counts = {"calls": 0, "trips": 0}
    cache = caches[alias]
    names = ("get", "set", "add", "incr", "decr", "delete", "has_key", "touch", "get_many", "set_many")

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts["calls"] += 1
            return method(*args, **kwargs)

        return wrapper

    execute = redis.Redis.execute_command if redis is not None else None

    def execute_counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["trips"] += 1
        return execute(self, *args, **kwargs)  # type: ignore[misc]

    for name in names:
        setattr(cache, name, counted(getattr(cache, name)))  # an instance attribute shadows the method
    if redis is not None:
        redis.Redis.execute_command = execute_counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        if redis is not None:
            redis.Redis.execute_command = execute  # type: ignore[method-assign]
        for name in names:
            delattr(cache, name)


@contextmanager
def _rate_state(config: RateConfig, handler: Handler) -> Iterator[None]:
    """Put the app in ``config``'s state, serve one untimed request (it reloads the rules) and check its answer.

    ``RATELIMIT_USE_CACHE`` and ``POLICY_CACHE_ALIAS`` (the rules' version stamp) both name the config's cache.
    The rule is enabled or disabled and the stamp bumped, as a save in the admin does. DRF's history for the
    client is cleared (see ``_measure_rates``).
    """
    from django.conf import settings
    from django.core.cache import caches
    from django.test import override_settings

    from causeloop_errors import rules
    from causeloop_errors.models import RateLimitRule

    app_settings = {**settings.CAUSELOOP_ERRORS, "POLICY_CACHE_ALIAS": config.alias}
    with override_settings(RATELIMIT_USE_CACHE=config.alias, CAUSELOOP_ERRORS=app_settings):
        RateLimitRule.objects.filter(name=RL_RULE).update(enabled=config.kind == "rule")
        rules.stamp.bump()
        caches[config.alias].delete(DRF_HISTORY_KEY)
        reply = _request(handler, config.environ())
        where = f"rate limits on {config.alias}, {config.kind}"
        _expect(reply.status == 200, f"{where}: status {reply.status}: {reply.body[:300]!r}")
        limit = reply.headers.get("x-ratelimit-limit")
        expected = RL_LIMIT if config.kind == "rule" else None
        _expect(limit == expected, f"{where}: X-RateLimit-Limit {limit!r}, expected {expected!r}")
        if config.kind == "drf":
            history = caches[config.alias].get(DRF_HISTORY_KEY)
            _expect(bool(history), f"{where}: DRF's AnonRateThrottle kept no history in this cache")
        yield


def _rate_counts(handler: Handler, config: RateConfig) -> RateCounts:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    requests = 5 * QUERY_SAMPLE
    environs = [config.environ() for _ in range(requests)]
    with _rate_state(config, handler), ExitStack() as stack:
        contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        counts = stack.enter_context(_counting(config.alias))
        _drive(handler, environs)
    queries = sum(len(context.captured_queries) for context in contexts)
    return RateCounts(counts["calls"] / requests, counts["trips"] / requests, queries / requests)


def _measure_rates(
    handler: Handler, configs: list[RateConfig], rounds: int, requests: int, warmup: int
) -> dict[RateConfig, list[float]]:
    """Time every config in blocks, interleaved, the order reversed every other round.

    DRF's throttle keeps one list of request timestamps per client and (un)pickles it on every request, so
    its cost grows with the requests in its window. Clearing it before each block keeps it at 0-199 entries
    (a client far below its limit), which flatters DRF. django-ratelimit's counter costs the same at any count.
    """
    for config in configs:
        with _rate_state(config, handler):
            _drive(handler, [config.environ() for _ in range(warmup)])
    samples: dict[RateConfig, list[float]] = {config: [] for config in configs}
    for round_index in range(rounds):
        for config in configs if round_index % 2 == 0 else configs[::-1]:
            with _rate_state(config, handler):
                samples[config].append(_time_block(handler, "app", config.case, requests))
    return samples


def _rate_limits(handler: Handler, args: argparse.Namespace) -> tuple[str, bool]:
    """Measure and print the rate-limit rows; return a summary line and whether the counted targets hold.

    Counted targets (deterministic, they set the exit status like SQL queries): no SQL query on any row, and
    at most two Redis round trips per rule on django-redis. Timing targets are reported, not enforced.
    """
    from django.conf import settings

    from causeloop_errors.models import RateLimitRule

    RateLimitRule.objects.create(name=RL_RULE, rate=RL_RATE, key="ip", path_prefix="/app/", enabled=False)
    problem = _redis_problem(RATE_CACHES)
    used = [cache for cache in RATE_CACHES if problem is None or cache.alias == "default"]
    configs = [RateConfig(cache.alias, kind) for cache in used for kind in cache.kinds]
    counts = {config: _rate_counts(handler, config) for config in configs}
    samples = _measure_rates(handler, configs, args.rate_rounds, args.requests, args.warmup)
    median = {config: statistics.median(values) for config, values in samples.items()}

    print(
        f"\nrate limits: GET /app/success (200) through the app. none: no rule exists; rule: one enforcing IP rule "
        f"({RL_RATE}) counted by django-ratelimit; drf: no rule, DRF's AnonRateThrottle ({RL_RATE}) on the same "
        f"cache.\n{args.rate_rounds} rounds x {args.requests} requests per cell, interleaved. The rules' version "
        "stamp is on the same cache. Round trips: Redis commands sent per request (calls on the cache for locmem); "
        "per rule = rule - none; the stamp read is the none column.\n"
    )
    header = (
        f"{'cache':<26}{'none us':>9}{'rule us':>9}{'+us':>8}{'ratio':>8}{'drf us':>9}{'+us':>8}{'ratio':>8}"
        f"{'round trips none/rule/drf':>27}{'per rule':>10}{'queries':>9}"
    )
    print(header)
    print("-" * len(header))
    verdicts: list[str] = []
    counted_ok = True
    for cache in used:
        cells = {kind: RateConfig(cache.alias, kind) for kind in cache.kinds}
        base = median[cells["none"]]
        trips = {
            kind: counts[config].calls if cache.alias == "default" else counts[config].trips
            for kind, config in cells.items()
        }
        per_rule = trips["rule"] - trips["none"]
        queries = max(counts[config].queries for config in cells.values())
        rule_us = median[cells["rule"]]
        drf_us = median[cells["drf"]] if "drf" in cells else None
        drf_text = (
            f"{drf_us:>9.1f}{drf_us - base:>+8.1f}{drf_us / base:>7.3f}x" if drf_us else f"{'-':>9}{'-':>8}{'-':>8}"
        )
        trips_text = "/".join(f"{trips[kind]:g}" if kind in trips else "-" for kind in ("none", "rule", "drf"))
        print(
            f"{cache.label:<26}{base:>9.1f}{rule_us:>9.1f}{rule_us - base:>+8.1f}{rule_us / base:>7.3f}x{drf_text}"
            f"{trips_text:>27}{per_rule:>10g}{queries:>9g}"
        )
        counted_ok &= queries == 0
        if not cache.target:
            continue
        if cache.alias == "default":
            ratio = rule_us / base
            verdicts.append(
                f"locmem: a rule {ratio:.2f}x (<= {RL_LOCAL_TARGET:.2f}x {_verdict(ratio <= RL_LOCAL_TARGET)})"
            )
        elif drf_us is not None:
            cheaper = rule_us - base <= drf_us - base
            trips_ok = per_rule <= RL_TRIPS_TARGET
            counted_ok &= trips_ok
            verdicts.append(
                f"{cache.label}: a rule +{rule_us - base:.1f} us vs DRF +{drf_us - base:.1f} us "
                f"({_verdict(cheaper)}), {per_rule:g} round trips per rule (<= {RL_TRIPS_TARGET} {_verdict(trips_ok)})"
                f" plus {trips['none']:g} per request for the stamp"
            )
    if problem is not None:
        print(f"\nRedis rows skipped: Redis at {settings.REDIS_URL} is unreachable ({problem})")
        verdicts.append("Redis rows skipped (unreachable)")
    return "; ".join(verdicts), counted_ok


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --------------------------------------------------------------------------- audit events

AUDIT_CASE = Case("forbidden", "GET", b"", 403, ERROR_TARGET)  # the target is not used: no timing target
AUDIT_STATES = ("on", "off")
AUDIT_MAX_INSERTS = 1


@dataclass(frozen=True)
class AuditCounts:
    """SQL statements per request (mean over the sample), and the most INSERTs one request made."""

    queries: float
    inserts: float
    updates: float
    max_inserts: int


@contextmanager
def _audit_state(state: str) -> Iterator[None]:
    """``off``: the settings (``AUDIT_CODES`` is ``[]``); ``on``: the same without ``AUDIT_CODES`` (the default)."""
    from django.conf import settings
    from django.test import override_settings

    if state == "off":
        yield
        return
    app_settings = {name: value for name, value in settings.CAUSELOOP_ERRORS.items() if name != "AUDIT_CODES"}
    with override_settings(CAUSELOOP_ERRORS=app_settings):
        yield


def _audit_rows() -> list[tuple[str, str, int]]:
    from causeloop_errors.models import AuditEvent

    return list(AuditEvent.objects.values_list("action", "code", "occurrences"))


def _check_audit(handler: Handler) -> None:
    from causeloop_errors.models import AuditEvent

    for state in AUDIT_STATES:
        AuditEvent.objects.all().delete()
        with _audit_state(state):
            reply = _request(handler, _environ("app", AUDIT_CASE))
        where = f"audit {state}/{AUDIT_CASE.name}"
        _expect(reply.status == 403, f"{where}: status {reply.status}: {reply.body[:300]!r}")
        _expect(reply.from_view_handler, f"{where}: the envelope did not come from the app's exception handler")
        error = json.loads(reply.body).get("error") or {}
        _expect(error.get("code") == "forbidden", f"{where}: not a forbidden envelope: {reply.body[:300]!r}")
        expected = [("auth.forbidden", "forbidden", 1)] if state == "on" else []
        _expect(_audit_rows() == expected, f"{where}: audit rows {_audit_rows()!r}, expected {expected!r}")
    AuditEvent.objects.all().delete()


def _audit_counts(handler: Handler, state: str) -> AuditCounts:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from causeloop_errors.models import AuditEvent

    AuditEvent.objects.all().delete()  # the first request inserts the row, the others update it
    statements: list[list[str]] = []
    with _audit_state(state):
        for _ in range(QUERY_SAMPLE):
            with ExitStack() as stack:
                contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
                _drive(handler, [_environ("app", AUDIT_CASE)])
            statements.append([query["sql"].lstrip().upper() for c in contexts for query in c.captured_queries])
    recorded = sum(occurrences for _, _, occurrences in _audit_rows())
    _expect(recorded == (QUERY_SAMPLE if state == "on" else 0), f"audit {state}: {recorded} occurrences recorded")

    def per_request(verb: str) -> list[int]:
        return [sum(sql.startswith(verb) for sql in request) for request in statements]

    inserts = per_request("INSERT")
    return AuditCounts(
        sum(map(len, statements)) / QUERY_SAMPLE,
        sum(inserts) / QUERY_SAMPLE,
        sum(per_request("UPDATE")) / QUERY_SAMPLE,
        max(inserts),
    )


def _audit_events(handler: Handler, args: argparse.Namespace) -> tuple[str, bool]:
    """Measure and print the audit rows; return a summary line and whether the counted targets hold."""
    _check_audit(handler)
    counts = {state: _audit_counts(handler, state) for state in AUDIT_STATES}
    for state in AUDIT_STATES:
        with _audit_state(state):
            _drive(handler, [_environ("app", AUDIT_CASE) for _ in range(args.warmup)])
    samples: dict[str, list[float]] = {state: [] for state in AUDIT_STATES}
    for round_index in range(args.audit_rounds):
        for state in AUDIT_STATES if round_index % 2 == 0 else AUDIT_STATES[::-1]:
            with _audit_state(state):
                samples[state].append(_time_block(handler, "app", AUDIT_CASE, args.requests))
    median = {state: statistics.median(values) for state, values in samples.items()}

    print(
        f"\naudit events: GET /app/{AUDIT_CASE.name} (403 forbidden) through the app. on: AUDIT_CODES at its "
        "default (has forbidden), identical denials share one row (first request INSERT, repeats UPDATE); off: "
        f"AUDIT_CODES [] as above.\n{args.audit_rounds} rounds x {args.requests} requests per state, interleaved. "
        f"Queries: SQL statements per request (BEGIN, COMMIT, savepoints included) over {QUERY_SAMPLE} requests "
        "from an empty table.\n"
    )
    header = (
        f"{'state':<8}{'us':>9}{'+us':>8}{'ratio':>8}{'spread':>8}{'queries':>9}{'INSERT':>8}{'UPDATE':>8}"
        f"{'max INSERT/req':>16}{'result':>8}"
    )
    print(header)
    print("-" * len(header))
    base = median["off"]
    for state in ("off", "on"):
        values, count = samples[state], counts[state]
        q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (0.0, 0.0, 0.0)
        timing = f"{median[state]:>9.1f}" + (
            f"{median[state] - base:>+8.1f}{median[state] / base:>7.3f}x" if state == "on" else f"{'-':>8}{'-':>8}"
        )
        result = count.max_inserts <= AUDIT_MAX_INSERTS if state == "on" else count.queries == 0
        print(
            f"{state:<8}{timing}{(q3 - q1) / median[state]:>8.1%}{count.queries:>9g}{count.inserts:>8g}"
            f"{count.updates:>8g}{count.max_inserts:>16}{_verdict(result):>8}"
        )
    on, off = counts["on"], counts["off"]
    inserts_ok = on.max_inserts <= AUDIT_MAX_INSERTS
    summary = (
        f"on {median['on'] / base:.2f}x off ({median['on'] - base:+.1f} us per request); at most {on.max_inserts} "
        f"INSERT per audited request (<= {AUDIT_MAX_INSERTS} {_verdict(inserts_ok)}); off {off.queries:g} queries "
        f"({_verdict(off.queries == 0)})"
    )
    return summary, inserts_ok and off.queries == 0


# --------------------------------------------------------------------------- report


def _fmt_queries(value: float) -> str:
    return f"{value:g}"


def _report(results: list[Result], rounds: int, requests: int, seconds: float) -> bool:
    import django
    import rest_framework

    print(
        f"causeloop_errors benchmark: {rounds} rounds x {requests} requests per path per config, interleaved; "
        f"Python {sys.version.split()[0]}, Django {django.__version__}, DRF {rest_framework.__version__}"
    )
    print("times: median of per-round mean microseconds per request; spread: IQR/median of the round means\n")
    header = (
        f"{'path':<13}{'app us':>9}{'plain us':>10}{'+us':>8}{'ratio':>8}{'paired':>8}{'target':>8}"
        f"{'result':>8}{'spread app/plain':>18}{'queries app/plain':>19}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        app, plain = result.median("app"), result.median("plain")
        spread = f"{result.spread('app'):.1%}/{result.spread('plain'):.1%}"
        queries = f"{_fmt_queries(result.queries['app'])}/{_fmt_queries(result.queries['plain'])}"
        print(
            f"{result.case.name:<13}{app:>9.1f}{plain:>10.1f}{app - plain:>+8.1f}{result.ratio():>7.3f}x"
            f"{result.paired_ratio():>7.3f}x{'<=' + format(result.case.target, '.2f') + 'x':>8}"
            f"{'PASS' if result.passed() else 'FAIL':>8}{spread:>18}{queries:>19}"
        )
    same_queries = all(result.queries["app"] == result.queries["plain"] for result in results)
    passed = sum(result.passed() for result in results)
    ratios = ", ".join(
        f"{result.case.name} {result.ratio():.2f}x{'' if result.passed() else ' FAIL'}" for result in results
    )
    if same_queries:
        query_text = "SQL queries identical on every path (the app adds none)"
    else:
        differing = [r.case.name for r in results if r.queries["app"] != r.queries["plain"]]
        query_text = f"SQL queries DIFFER on {', '.join(differing)}"
    print(f"\nbench: {passed}/{len(results)} paths within target ({ratios}); {query_text}; {seconds:.1f} s")
    return same_queries


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--requests", type=int, default=200, help="requests per block (default 200)")
    parser.add_argument("--warmup", type=int, default=300, help="warm-up requests per path per config")
    parser.add_argument(
        "--rate-rounds", type=int, default=10, help="timed rounds of the rate-limit rows (default 10; 0 skips them)"
    )
    parser.add_argument(
        "--audit-rounds", type=int, default=10, help="timed rounds of the audit rows (default 10; 0 skips them)"
    )
    parser.add_argument("--profile", choices=PATHS, help="print a cProfile of this path instead of timing")
    parser.add_argument("--profile-config", choices=CONFIGS, default="app", help="configuration to profile")
    parser.add_argument("--profile-requests", type=int, default=5000, help="requests to profile (default 5000)")
    parser.add_argument("--profile-limit", type=int, default=30, help="rows per profile listing (default 30)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.requests < 1 or min(args.warmup, args.rate_rounds, args.audit_rounds) < 0:
        parser.error(
            "--rounds and --requests must be at least 1, --warmup, --rate-rounds and --audit-rounds at least 0"
        )
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    _setup_django()
    cases = _cases()
    try:
        _check_logging_silenced()
        handlers = _build_handlers()
        _verify(handlers, cases)
    except BenchmarkError as error:
        print(f"bench: setup check failed: {error}", file=sys.stderr)
        return 2
    for case in cases:
        for config in CONFIGS:
            _drive(handlers[config], [_environ(config, case) for _ in range(args.warmup)])

    if args.profile:
        case = next(case for case in cases if case.name == args.profile)
        config = args.profile_config
        _profile(handlers[config], config, case, args.profile_requests, args.profile_limit)
        return 0

    queries = {
        case.name: {config: _count_queries(handlers[config], config, case) for config in CONFIGS} for case in cases
    }
    samples = _measure(handlers, cases, args.rounds, args.requests)
    results = [Result(case, samples[case.name], queries[case.name]) for case in cases]
    same_queries = _report(results, args.rounds, args.requests, time.perf_counter() - began)
    if args.audit_rounds:
        try:
            summary, audit_ok = _audit_events(handlers["app"], args)
        except BenchmarkError as error:
            print(f"bench: audit setup check failed: {error}", file=sys.stderr)
            return 2
        print(f"\nbench audit events: {summary}; {time.perf_counter() - began:.1f} s in all")
        same_queries &= audit_ok
    if not args.rate_rounds:
        return 0 if same_queries else 1
    try:
        summary, rate_ok = _rate_limits(handlers["app"], args)
    except BenchmarkError as error:
        print(f"bench: rate-limit setup check failed: {error}", file=sys.stderr)
        return 2
    print(f"\nbench rate limits: {summary}; {time.perf_counter() - began:.1f} s in all")
    return 0 if same_queries and rate_ok else 1


if __name__ == "__main__":
    sys.exit(main())
