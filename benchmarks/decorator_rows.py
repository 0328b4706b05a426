"""Measure a covering rule against django-ratelimit's own ``@ratelimit`` decorator on the local-memory cache."""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from benchmarks.cache_counting import counting
from benchmarks.harness import (
    QUERY_SAMPLE,
    Case,
    Handler,
    drive,
    environ,
    expect,
    request,
    time_block,
    verdict,
)

RULE_NAME = "bench-decorator-comparison"
STATES = ("none", "rule", "decorator")
MARGIN_US = 10.0  # the allowance for the rule's matching and headers over the bare decorator
CASES = {
    "none": Case("success_ruled", "GET", b"", 200, 0.0),
    "rule": Case("success_ruled", "GET", b"", 200, 0.0),
    "decorator": Case("success_decorated", "GET", b"", 200, 0.0),
}


def _decorator_count() -> int:
    """Return the count django-ratelimit holds for the decorated view's group and the bench client."""
    from django.test import RequestFactory
    from django_ratelimit.core import get_usage

    from benchmarks.views import ANON_RATE, DECORATOR_GROUP

    probe = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
    usage = get_usage(probe, group=DECORATOR_GROUP, key="ip", rate=ANON_RATE, increment=False)
    return int(usage["count"]) if usage else 0


@contextmanager
def _state(state: str, handler: Handler) -> Iterator[None]:
    """Enable the rule only in ``rule`` (every other rule disabled), bump the stamp, serve and check one request."""
    from benchmarks.views import ANON_RATE
    from causeloop_errors.ratelimits import store as rules
    from causeloop_errors.ratelimits.models import RateLimitRule

    RateLimitRule.objects.update(enabled=False)
    RateLimitRule.objects.filter(name=RULE_NAME).update(enabled=state == "rule")
    rules.stamp.bump()  # a queryset update sends no signal: bumped as the admin's save would
    before = _decorator_count()
    reply = request(handler, environ("app", CASES[state]))
    where = f"decorator rows, {state}"
    expect(reply.status == 200, f"{where}: status {reply.status}: {reply.body[:300]!r}")
    limit = reply.headers.get("x-ratelimit-limit")
    expected = ANON_RATE.split("/")[0] if state == "rule" else None
    expect(limit == expected, f"{where}: X-RateLimit-Limit {limit!r}, expected {expected!r}")
    counted = _decorator_count() - before
    expect(counted == (1 if state == "decorator" else 0), f"{where}: the decorator counted {counted} requests")
    yield


def _calls(handler: Handler, state: str) -> tuple[float, float]:
    """Return calls on the local-memory cache and SQL queries per request."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    requests = 5 * QUERY_SAMPLE
    with _state(state, handler), ExitStack() as stack:
        queries = stack.enter_context(CaptureQueriesContext(connections["default"]))
        counts = stack.enter_context(counting("default"))
        drive(handler, [environ("app", CASES[state]) for _ in range(requests)])
    return counts["calls"] / requests, len(queries.captured_queries) / requests


def decorator_rows(handler: Handler, args: argparse.Namespace) -> tuple[str, bool]:
    """Measure and print the rows; return a summary line and whether no SQL query was made."""
    from benchmarks.views import ANON_RATE
    from causeloop_errors.ratelimits.models import RateLimitRule

    RateLimitRule.objects.update_or_create(
        name=RULE_NAME, defaults={"rate": ANON_RATE, "key": "ip", "path_prefix": "/app/", "enabled": False}
    )
    counts = {state: _calls(handler, state) for state in STATES}
    for state in STATES:
        with _state(state, handler):
            drive(handler, [environ("app", CASES[state]) for _ in range(args.warmup)])
    samples: dict[str, list[float]] = {state: [] for state in STATES}
    for round_index in range(args.decorator_rounds):
        for state in STATES if round_index % 2 == 0 else STATES[::-1]:
            with _state(state, handler):
                samples[state].append(time_block(handler, "app", CASES[state], args.requests))
    RateLimitRule.objects.filter(name=RULE_NAME).update(enabled=False)
    median = {state: statistics.median(values) for state, values in samples.items()}

    print(
        f"\nrule vs @ratelimit (local-memory cache): GET through the app, {args.decorator_rounds} rounds x "
        f"{args.requests} requests per state, interleaved. none: /app/success_ruled, no rule; rule: the same view, "
        f"one enforcing IP rule ({ANON_RATE}) covering it; decorator: /app/success_decorated, no rule, the same view "
        f"with django-ratelimit's @ratelimit(key='ip', rate='{ANON_RATE}') on get, on the same cache. Calls: on the "
        "cache object per request.\n"
    )
    header = f"{'state':<11}{'us':>9}{'+us':>8}{'ratio':>8}{'spread':>8}{'cache calls':>13}{'queries':>9}"
    print(header)
    print("-" * len(header))
    base = median["none"]
    for state in STATES:
        values = samples[state]
        q1, _, q3 = statistics.quantiles(values, n=4) if len(values) > 1 else (0.0, 0.0, 0.0)
        calls, queries = counts[state]
        print(
            f"{state:<11}{median[state]:>9.1f}{median[state] - base:>+8.1f}{median[state] / base:>7.3f}x"
            f"{(q3 - q1) / median[state]:>8.1%}{calls:>13g}{queries:>9g}"
        )
    excess = median["rule"] - median["decorator"]
    paired = statistics.median(r - d for r, d in zip(samples["rule"], samples["decorator"], strict=True))
    summary = (
        f"a rule +{median['rule'] - base:.1f} us, @ratelimit +{median['decorator'] - base:.1f} us: rule - decorator "
        f"{excess:+.1f} us (<= +{MARGIN_US:g} us {verdict(excess <= MARGIN_US)}; per-round paired {paired:+.1f} us)"
    )
    return summary, all(queries == 0 for _, queries in counts.values())
