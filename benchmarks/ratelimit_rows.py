"""Measure one rate-limit rule versus none, next to DRF's ``AnonRateThrottle``, on each cache; print the rows."""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

from benchmarks.cache_counting import counting
from benchmarks.harness import (
    QUERY_SAMPLE,
    Case,
    Environ,
    Handler,
    drive,
    environ,
    expect,
    request,
    time_block,
    verdict,
)

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
    RateCache("default", "locmem", ("none", "rule", "alone", "drf"), True),
    RateCache("redis", "redis (django-redis)", ("none", "rule", "alone", "drf"), True),
    # Django's own RedisCache: shown for its third round trip per rule; DRF's throttle on it is not timed.
    RateCache("redis_django", "redis (Django RedisCache)", ("none", "rule"), False),
)


@dataclass(frozen=True)
class RateConfig:
    """One measured cell: a cache alias and what counts the request ("none": no rule exists; "rule": one
    enforcing IP rule; "alone": no rule, but the middleware's stage makes the rule's bare django-ratelimit
    ``get_usage`` call, the floor any rule pays; "drf": no rule, DRF's AnonRateThrottle on the same cache)."""

    alias: str
    kind: str

    @property
    def case(self) -> Case:
        name = f"success_anon_{self.alias}" if self.kind == "drf" else "success"
        return Case(name, "GET", b"", 200, RL_LOCAL_TARGET)

    def environ(self) -> Environ:
        return environ("app", self.case)


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


def _count_alone(request: Any, view_func: Any) -> None:
    """Stand in for the middleware's rule stage: only the ``get_usage`` call the bench rule makes, nothing else."""
    from django_ratelimit.core import get_usage

    from causeloop_errors.ratelimits.decisions import GROUP_PREFIX

    get_usage(request, group=GROUP_PREFIX + RL_RULE, key=_bench_client, rate=_PARSED_RATE, increment=True)


def _bench_client(group: str, request: Any) -> str:
    return "127.0.0.1"


_PARSED_RATE = (int(RL_LIMIT), 3600)


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

    from causeloop_errors import hooks
    from causeloop_errors.ratelimits import store as rules
    from causeloop_errors.ratelimits.models import RateLimitRule
    from causeloop_errors.ratelimits.throttling import check_view

    app_settings = {**settings.CAUSELOOP_ERRORS, "POLICY_CACHE_ALIAS": config.alias}
    guards = tuple(
        _count_alone if guard is check_view and config.kind == "alone" else guard for guard in hooks.view_guards()
    )
    with (
        override_settings(RATELIMIT_USE_CACHE=config.alias, CAUSELOOP_ERRORS=app_settings),
        patch.object(hooks, "_view_guards", guards),  # the rate-limit app's guard, or django-ratelimit alone
    ):
        RateLimitRule.objects.filter(name=RL_RULE).update(enabled=config.kind == "rule")
        rules.stamp.bump()
        caches[config.alias].delete(DRF_HISTORY_KEY)
        reply = request(handler, config.environ())
        where = f"rate limits on {config.alias}, {config.kind}"
        expect(reply.status == 200, f"{where}: status {reply.status}: {reply.body[:300]!r}")
        limit = reply.headers.get("x-ratelimit-limit")
        expected = RL_LIMIT if config.kind == "rule" else None
        expect(limit == expected, f"{where}: X-RateLimit-Limit {limit!r}, expected {expected!r}")
        if config.kind == "drf":
            history = caches[config.alias].get(DRF_HISTORY_KEY)
            expect(bool(history), f"{where}: DRF's AnonRateThrottle kept no history in this cache")
        yield


def _rate_counts(handler: Handler, config: RateConfig) -> RateCounts:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    requests = 5 * QUERY_SAMPLE
    environs = [config.environ() for _ in range(requests)]
    with _rate_state(config, handler), ExitStack() as stack:
        contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
        counts = stack.enter_context(counting(config.alias))
        drive(handler, environs)
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
            drive(handler, [config.environ() for _ in range(warmup)])
    samples: dict[RateConfig, list[float]] = {config: [] for config in configs}
    for round_index in range(rounds):
        for config in configs if round_index % 2 == 0 else configs[::-1]:
            with _rate_state(config, handler):
                samples[config].append(time_block(handler, "app", config.case, requests))
    return samples


def rate_limits(handler: Handler, args: argparse.Namespace) -> tuple[str, bool]:
    """Measure and print the rate-limit rows; return a summary line and whether the counted targets hold.

    Counted targets (deterministic, they set the exit status like SQL queries): no SQL query on any row, and
    at most two Redis round trips per rule on django-redis. Timing targets are reported, not enforced.
    """
    from django.conf import settings

    from causeloop_errors.ratelimits.models import RateLimitRule

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
        "per rule = rule - none; the stamp read is the none column. alone: the rule's bare get_usage call in the "
        "middleware's stage instead of the app's (no matching, no headers): what counting with django-ratelimit "
        "costs by itself.\n"
    )
    header = (
        f"{'cache':<26}{'none us':>9}{'rule us':>9}{'+us':>8}{'ratio':>8}{'alone +us':>10}{'ratio':>8}"
        f"{'drf us':>9}{'+us':>8}{'ratio':>8}{'round trips none/rule/drf':>27}{'per rule':>10}{'queries':>9}"
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
        alone_us = median[cells["alone"]] if "alone" in cells else None
        alone_text = f"{alone_us - base:>+10.1f}{alone_us / base:>7.3f}x" if alone_us else f"{'-':>10}{'-':>8}"
        drf_text = (
            f"{drf_us:>9.1f}{drf_us - base:>+8.1f}{drf_us / base:>7.3f}x" if drf_us else f"{'-':>9}{'-':>8}{'-':>8}"
        )
        trips_text = "/".join(f"{trips[kind]:g}" if kind in trips else "-" for kind in ("none", "rule", "drf"))
        print(
            f"{cache.label:<26}{base:>9.1f}{rule_us:>9.1f}{rule_us - base:>+8.1f}{rule_us / base:>7.3f}x{alone_text}"
            f"{drf_text}"
            f"{trips_text:>27}{per_rule:>10g}{queries:>9g}"
        )
        counted_ok &= queries == 0
        if not cache.target:
            continue
        if cache.alias == "default":
            ratio = rule_us / base
            floor = f"; get_usage alone {alone_us / base:.2f}x" if alone_us else ""
            verdicts.append(
                f"locmem: a rule {ratio:.2f}x (<= {RL_LOCAL_TARGET:.2f}x {verdict(ratio <= RL_LOCAL_TARGET)}){floor}"
            )
        elif drf_us is not None:
            cheaper = rule_us - base <= drf_us - base
            trips_ok = per_rule <= RL_TRIPS_TARGET
            counted_ok &= trips_ok
            verdicts.append(
                f"{cache.label}: a rule +{rule_us - base:.1f} us vs DRF +{drf_us - base:.1f} us "
                f"({verdict(cheaper)}), {per_rule:g} round trips per rule (<= {RL_TRIPS_TARGET} {verdict(trips_ok)})"
                f" plus {trips['none']:g} per request for the stamp"
            )
    if problem is not None:
        print(f"\nRedis rows skipped: Redis at {settings.REDIS_URL} is unreachable ({problem})")
        verdicts.append("Redis rows skipped (unreachable)")
    return "; ".join(verdicts), counted_ok
