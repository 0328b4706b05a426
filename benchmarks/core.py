"""Measure the app versus plain DRF on the four paths: checks, query counts, timing, the table, a profile."""

from __future__ import annotations

import cProfile
import json
import logging
import pstats
import statistics
import sys
from contextlib import ExitStack
from dataclasses import dataclass

from benchmarks.harness import (
    CONFIGS,
    ERROR_TARGET,
    PATHS,
    QUERY_SAMPLE,
    SUCCESS_TARGET,
    Case,
    Handler,
    Reply,
    drive,
    environ,
    expect,
    receivers_for,
    request,
    time_block,
)


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


def cases() -> list[Case]:
    """Return the four benchmarked paths in ``PATHS`` order."""
    from benchmarks.views import INVALID_ORDER

    success, not_found, validation, server_error = PATHS
    return [
        Case(success, "GET", b"", 200, SUCCESS_TARGET),
        Case(not_found, "GET", b"", 404, ERROR_TARGET),
        Case(validation, "POST", json.dumps(INVALID_ORDER).encode(), 400, ERROR_TARGET),
        Case(server_error, "GET", b"", 500, ERROR_TARGET),
    ]


def check_logging_silenced() -> None:
    """Every handler a request's log record can reach must discard it."""
    for name in ("django.request", "django.security", "causeloop_errors", "benchmarks"):
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            for handler in logger.handlers:
                expect(type(handler) is logging.NullHandler, f"logger {logger.name!r} has handler {handler!r}")
            logger = logger.parent if logger.propagate else None


def check_app(case: Case, reply: Reply) -> None:
    """Check an ``app`` answer: the status, ``X-Request-Id``, and for an error the envelope from the app's handler."""
    where = f"app/{case.name}"
    expect(reply.status == case.status, f"{where}: status {reply.status}, expected {case.status}: {reply.body[:300]!r}")
    trace_id = reply.headers.get("x-request-id")
    expect(bool(trace_id), f"{where}: no X-Request-Id, so the middleware did not run")
    data = json.loads(reply.body)
    if case.status < 400:
        expect("error" not in data, f"{where}: unexpected envelope {data!r}")
        return
    # Not the middleware's fallback (which would also give an envelope): the view's exception handler made it.
    expect(reply.from_view_handler, f"{where}: the envelope did not come from the app's exception handler")
    expect(reply.headers.get("content-type", "").startswith("application/json"), f"{where}: not JSON")
    error = data.get("error") if isinstance(data, dict) else None
    expect(isinstance(error, dict) and set(data) == {"error"}, f"{where}: not an envelope: {data!r}")
    assert isinstance(error, dict)
    expect({"code", "message", "trace_id"} <= error.keys(), f"{where}: envelope misses keys: {error!r}")
    expect(error["trace_id"] == trace_id, f"{where}: trace_id {error['trace_id']!r} != X-Request-Id {trace_id!r}")
    expected_code = {401: "unauthorized", 404: "not_found", 400: "validation_error", 500: "internal_error"}[case.status]
    expect(error["code"] == expected_code, f"{where}: code {error['code']!r}, expected {expected_code!r}")
    if case.status == 400:
        details = error.get("details") or {}
        for dotted in ("customer.address.postcode", "lines.1.quantity", "tags.1"):
            expect(dotted in details, f"{where}: no {dotted!r} in details {details!r}")


def check_plain(case: Case, reply: Reply) -> None:
    """Check a ``plain`` answer: the status, no ``X-Request-Id``, and DRF's or Django's own body."""
    where = f"plain/{case.name}"
    expect(reply.status == case.status, f"{where}: status {reply.status}, expected {case.status}")
    expect("x-request-id" not in reply.headers, f"{where}: X-Request-Id present, so the app's middleware ran")
    if case.status == 500:
        expect(reply.headers.get("content-type", "").startswith("text/html"), f"{where}: not Django's HTML 500")
        expect(b"Server Error (500)" in reply.body, f"{where}: not Django's 500 page: {reply.body[:200]!r}")
        return
    data = json.loads(reply.body)
    if case.status in (401, 404):
        expect(set(data) == {"detail"}, f"{where}: not DRF's {{'detail': ...}}: {data!r}")
    elif case.status == 400:
        expect(
            "error" not in data and "customer" in data and "address" in data["customer"],
            f"{where}: not DRF's nested field errors: {data!r}",
        )


def verify(handlers: dict[str, Handler], cases: list[Case]) -> None:
    """Check one answer per path and configuration: the app's envelope, DRF's or Django's own answer."""
    from benchmarks.views import SUCCESS_BODY

    for case in cases:
        replies = {config: request(handlers[config], environ(config, case)) for config in CONFIGS}
        check_app(case, replies["app"])
        check_plain(case, replies["plain"])
        if case.status == 200:
            bodies = {config: json.loads(replies[config].body) for config in CONFIGS}
            expect(bodies["app"] == bodies["plain"] == SUCCESS_BODY, f"success bodies differ: {bodies!r}")


def count_queries(handler: Handler, config: str, case: Case) -> float:
    """Return the SQL queries per request of ``case`` under ``config``, on every database."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    environs = [environ(config, case) for _ in range(QUERY_SAMPLE)]
    with ExitStack() as stack:
        stack.enter_context(receivers_for(config))
        contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        drive(handler, environs)
    return sum(len(context.captured_queries) for context in contexts) / QUERY_SAMPLE


def measure(
    handlers: dict[str, Handler], cases: list[Case], rounds: int, requests: int
) -> dict[str, dict[str, list[float]]]:
    """Time every path and configuration in blocks, the configuration order alternating."""
    samples: dict[str, dict[str, list[float]]] = {case.name: {config: [] for config in CONFIGS} for case in cases}
    for round_index in range(rounds):
        for case_index, case in enumerate(cases):
            order = CONFIGS if (round_index + case_index) % 2 == 0 else CONFIGS[::-1]
            for config in order:
                samples[case.name][config].append(time_block(handlers[config], config, case, requests))
    return samples


def profile(handler: Handler, config: str, case: Case, requests: int, limit: int) -> None:
    """Print a cProfile of ``requests`` requests to one path under one configuration."""
    environs = [environ(config, case) for _ in range(requests)]
    profiler = cProfile.Profile()
    profiler.enable()
    drive(handler, environs)
    profiler.disable()
    print(f"cProfile of {requests} requests to /{config}/{case.name}\n")
    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
    print("== by cumulative time")
    stats.sort_stats("cumulative").print_stats(limit)
    print("== by own time")
    stats.sort_stats("tottime").print_stats(limit)
    print("== causeloop_errors functions, by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats("causeloop_errors")


def _fmt_queries(value: float) -> str:
    return f"{value:g}"


def report(results: list[Result], rounds: int, requests: int, seconds: float) -> bool:
    """Print the app-versus-plain table and summary; return whether SQL queries are identical on every path."""
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
