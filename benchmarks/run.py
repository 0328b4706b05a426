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
  Exit status: 1 if the app changes the number of SQL queries on some path, 2 if a check above fails
  (the benchmark would not be measuring the app), 0 otherwise.

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
from collections.abc import Callable, Iterable
from contextlib import ExitStack
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
    parser.add_argument("--profile", choices=PATHS, help="print a cProfile of this path instead of timing")
    parser.add_argument("--profile-config", choices=CONFIGS, default="app", help="configuration to profile")
    parser.add_argument("--profile-requests", type=int, default=5000, help="requests to profile (default 5000)")
    parser.add_argument("--profile-limit", type=int, default=30, help="rows per profile listing (default 30)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--rounds and --requests must be at least 1, --warmup at least 0")
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
    return 0 if same_queries else 1


if __name__ == "__main__":
    sys.exit(main())
