"""Measure the app versus plain DRF in the production configuration (shared Redis, PostgreSQL), states (a) and (b).

``run.py`` starts this module in its own process (``python -m benchmarks.production_rows``), whose settings are
``production_settings``; the method is described in ``run.py``. Exit status: 0, 1 (a counted target failed),
2 (a check failed); Redis or PostgreSQL unreachable: the rows are skipped with a note, status 0.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest.mock import patch

if __package__ in (None, ""):  # run as a script: make the ``benchmarks`` package importable from the root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import core, production_report, production_state
from benchmarks.cache_counting import counting
from benchmarks.harness import (
    CONFIGS,
    ERROR_TARGET,
    BenchmarkError,
    Case,
    Handler,
    build_handlers,
    drive,
    environ,
    receivers_for,
    setup_django,
    time_block,
)
from benchmarks.production_auth import MFA_TOKEN, create_user
from benchmarks.production_report import Counts
from benchmarks.production_state import STATES, audit_settings, clear_drf_history, enter_state

COUNT_REQUESTS = 500  # requests per counting pass, after the first: long enough for periodic work to amortize


class _Recorder(logging.Handler):
    """Keep the app's WARNING and ERROR records: in steady state it should log nothing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def cases() -> list[Case]:
    """Return the production rows: the four paths with the MFA token, then two anonymous 401s."""
    token = (("HTTP_AUTHORIZATION", MFA_TOKEN),)
    return [replace(case, headers=token) for case in core.cases()] + [
        Case("unauthorized", "GET", b"", 401, ERROR_TARGET),
        Case("unauthorized_flood", "GET", b"", 401, ERROR_TARGET),
    ]


@contextmanager
def _rule_trips(counts: dict[str, int]) -> Iterator[dict[str, int]]:
    """Count the Redis commands sent inside the rule's django-ratelimit ``get_usage`` calls."""
    from causeloop_errors.ratelimits import decisions as ratelimits

    real = ratelimits.get_usage
    rule = {"trips": 0}

    def get_usage(*args: Any, **kwargs: Any) -> Any:
        before = counts["trips"]
        try:
            return real(*args, **kwargs)
        finally:
            rule["trips"] += counts["trips"] - before

    with patch.object(ratelimits, "get_usage", get_usage):
        yield rule


def _count(handler: Handler, config: str, case: Case) -> Counts:
    """Return SQL statements and Redis commands per request over ``COUNT_REQUESTS`` requests after the first."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    environs = [environ(config, case) for _ in range(COUNT_REQUESTS)]
    with audit_settings(case):
        clear_drf_history()
        drive(handler, [environ(config, case)])  # the first request: loads, first occurrences, stamp reads
        started = time.perf_counter()
        with (
            receivers_for(config),
            counting("default") as counts,
            _rule_trips(counts) as rule,
            CaptureQueriesContext(connections["default"]) as queries,
        ):
            drive(handler, environs)
        seconds = time.perf_counter() - started
    sql = [query["sql"] for query in queries.captured_queries]
    return Counts(len(sql), counts["trips"], rule["trips"], COUNT_REQUESTS, seconds, sql[:3])


def _block(handler: Handler, config: str, case: Case, requests: int) -> float:
    clear_drf_history()
    drive(handler, [environ(config, case)])  # untimed: absorbs a stamp read after a settings change
    return time_block(handler, config, case, requests)


def _measure(
    handlers: dict[str, Handler], cases: list[Case], rounds: int, requests: int
) -> dict[tuple[str, str, str], list[float]]:
    """Time every state, row and configuration in blocks; states, rows and configurations interleaved."""
    samples: dict[tuple[str, str, str], list[float]] = {}
    for round_index in range(rounds):
        for state in STATES if round_index % 2 == 0 else STATES[::-1]:
            enter_state(state)
            for case_index, case in enumerate(cases):
                order = CONFIGS if (round_index + case_index) % 2 == 0 else CONFIGS[::-1]
                with audit_settings(case):
                    for config in order:
                        sample = _block(handlers[config], config, case, requests)
                        samples.setdefault((state, case.name, config), []).append(sample)
    return samples


def _run(args: argparse.Namespace) -> int:
    setup_django("benchmarks.production_settings")
    from benchmarks.production_views import urlconf

    core.check_logging_silenced()
    recorder = _Recorder()
    logging.getLogger("causeloop_errors").addHandler(recorder)
    cleared = production_state.clear_redis()
    production_state.reset_database()
    create_user()
    handlers = build_handlers({config: urlconf(config) for config in CONFIGS})
    rows = cases()
    for state in STATES:
        enter_state(state)
        production_state.check_state(handlers, rows, state)
    production_state.check_flood_recorded()
    counts: dict[tuple[str, str, str], Counts] = {}
    for state in STATES:
        enter_state(state)
        for case in rows:
            for config in CONFIGS:
                with audit_settings(case):
                    drive(handlers[config], [environ(config, case) for _ in range(args.warmup)])
                counts[(state, case.name, config)] = _count(handlers[config], config, case)
    samples = _measure(handlers, rows, args.rounds, args.requests)
    ok = production_report.report(rows, samples, counts, args, cleared)
    production_report.report_logs(recorder.records)
    production_state.clear_redis()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="timed rounds (default 10)")
    parser.add_argument("--requests", type=int, default=200, help="requests per block (default 200)")
    parser.add_argument("--warmup", type=int, default=300, help="warm-up requests per row, config and state")
    args = parser.parse_args(argv)
    try:
        problem = production_state.service_problem()
    except ImportError as error:  # psycopg, redis, dj-database-url: the dev extras (make install)
        problem = f"a client library is missing ({error})"
    if problem is not None:
        print(f"\nproduction rows skipped: {problem}")
        return 0
    try:
        return _run(args)
    except BenchmarkError as error:
        print(f"bench: production setup check failed: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
