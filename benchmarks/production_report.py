"""Print the production rows: one table per state, the issue's targets, and what the app logged."""

from __future__ import annotations

import argparse
import logging
import statistics
from dataclasses import dataclass

from benchmarks.harness import Case, verdict
from benchmarks.production_state import RULE_RATE, STATE_TEXT, STATES

AMORTIZED = 0.05  # per request: periodic work (a stamp read a second, a flush every few seconds) stays below it


@dataclass(frozen=True)
class Counts:
    """SQL statements and Redis commands (all, and inside the rule's ``get_usage``) over one counting pass."""

    sql: int
    trips: int
    rule_trips: int
    requests: int
    seconds: float
    first_sql: list[str]

    def per(self, value: int) -> float:
        return value / self.requests

    @property
    def other_trips(self) -> int:
        """Commands the app sends for its own bookkeeping (on the plain side: DRF's throttle)."""
        return self.trips - self.rule_trips


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _spread(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    q1, _, q3 = statistics.quantiles(values, n=4)
    return (q3 - q1) / _median(values)


def _header(args: argparse.Namespace, cleared: int) -> None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    print(
        f"\nproduction configuration (its own process): CACHES['default'] = django-redis at {settings.REDIS_URL} "
        f"(prefix {settings.REDIS_KEY_PREFIX}, {cleared} old keys deleted first) for rate-limit counters, version "
        f"stamps, audit counters and DRF's throttle; PostgreSQL {database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}; audit at its default AUDIT_CODES (unauthorized row: without 'unauthorized'); bearer-"
        f"token user with MFA, workspace bench-ws; IsAuthenticated on every view. (b): IP rule {RULE_RATE} on /app/ "
        f"and a require_mfa policy; plain DRF: AnonRateThrottle counting every request ({RULE_RATE}) on the same "
        f"Redis.\n{args.rounds} rounds x {args.requests} requests per row, config and state, interleaved. SQL and "
        "round trips: per request over a pass of requests after the first (steady state); trips app = rule's "
        "django-ratelimit commands + the app's own (bookkeeping); plain = DRF's throttle.\n"
    )


def _table(cases: list[Case], state: str, samples: dict, counts: dict) -> list[str]:
    """Print one state's table; return the failing counted targets."""
    print(f"({state}) {STATE_TEXT[state]}")
    header = (
        f"{'row':<20}{'app us':>9}{'plain us':>10}{'+us':>8}{'ratio':>8}{'paired':>8}{'target':>8}{'result':>8}"
        f"{'spread app/plain':>18}{'SQL/req app/plain':>19}{'trips/req app/plain':>21}{'app rule/own':>14}"
    )
    print(header)
    print("-" * len(header))
    failures: list[str] = []
    for case in cases:
        app, plain = samples[(state, case.name, "app")], samples[(state, case.name, "plain")]
        ratio = _median(app) / _median(plain)
        paired = _median([a / p for a, p in zip(app, plain, strict=True)])
        ca, cp = counts[(state, case.name, "app")], counts[(state, case.name, "plain")]
        sql = f"{ca.per(ca.sql):.3g}/{cp.per(cp.sql):.3g}"
        trips = f"{ca.per(ca.trips):.3g}/{cp.per(cp.trips):.3g}"
        split = f"{ca.per(ca.rule_trips):.3g}/{ca.per(ca.other_trips):.3g}"
        print(
            f"{case.name:<20}{_median(app):>9.1f}{_median(plain):>10.1f}{_median(app) - _median(plain):>+8.1f}"
            f"{ratio:>7.3f}x{paired:>7.3f}x{'<=' + format(case.target, '.2f') + 'x':>8}"
            f"{verdict(ratio <= case.target):>8}{f'{_spread(app):.1%}/{_spread(plain):.1%}':>18}{sql:>19}"
            f"{trips:>21}{split:>14}"
        )
        if ca.per(ca.sql) - cp.per(cp.sql) > AMORTIZED:
            added = ca.per(ca.sql) - cp.per(cp.sql)
            failures.append(f"({state}) {case.name}: the app adds {added:.3g} SQL/request, e.g. {ca.first_sql[:1]!r}")
        if ca.per(ca.other_trips) > AMORTIZED:
            failures.append(f"({state}) {case.name}: {ca.per(ca.other_trips):.3g} bookkeeping round trips/request")
    print()
    return failures


def report(cases: list[Case], samples: dict, counts: dict, args: argparse.Namespace, cleared: int) -> bool:
    """Print both tables and the targets; return whether the counted targets hold (SQL, round trips)."""
    _header(args, cleared)
    failures = [failure for state in STATES for failure in _table(cases, state, samples, counts)]
    median = {key: _median(values) for key, values in samples.items()}
    lines = []
    for state in STATES:
        ratios = {case.name: median[(state, case.name, "app")] / median[(state, case.name, "plain")] for case in cases}
        within = sum(ratios[case.name] <= case.target for case in cases)
        listed = ", ".join(
            f"{case.name} {ratios[case.name]:.2f}x{'' if ratios[case.name] <= case.target else ' FAIL'}"
            for case in cases
        )
        lines.append(f"({state}) {within}/{len(cases)} rows within target ({listed})")
    for state in STATES:
        flood = counts[(state, "unauthorized_flood", "app")]
        per = flood.per(flood.sql)
        lines.append(
            f"({state}) audited 401 flood: {per:.3g} SQL statements/request in steady state ({flood.sql} in "
            f"{flood.requests} requests; target 0, amortized <= {AMORTIZED} {verdict(per <= AMORTIZED)})"
        )
        if per > AMORTIZED:
            failures.append(f"({state}) audited 401 flood: {per:.3g} SQL/request, e.g. {flood.first_sql[:1]!r}")
    rule = median[("b", "success", "app")] - median[("a", "success", "app")]
    drf = median[("b", "success", "plain")] - median[("a", "success", "plain")]
    rule_trips = counts[("b", "success", "app")]
    lines.append(
        f"covering rule (+ the MFA policy check) on success, (b) - (a): app +{rule:.1f} us vs DRF's AnonRateThrottle "
        f"+{drf:.1f} us on the same Redis ({verdict(rule <= drf)}); the rule's own django-ratelimit round trips "
        f"{rule_trips.per(rule_trips.rule_trips):.3g}/request"
    )
    app_counts = [count for key, count in counts.items() if key[2] == "app"]
    own = max(count.per(count.other_trips) for count in app_counts)
    rate = sum(count.other_trips for count in app_counts) / sum(count.seconds for count in app_counts)
    lines.append(
        f"app's own cache round trips (bookkeeping): at most {own:.3g}/request on any row, {rate:.1f}/s over all the "
        f"app's counting passes (target 0 per request, amortized <= {AMORTIZED} {verdict(own <= AMORTIZED)})"
    )
    print("targets:\n  " + "\n  ".join(lines))
    if failures:
        print("counted targets failing:\n  " + "\n  ".join(failures))
    return not failures


def report_logs(records: list[logging.LogRecord]) -> None:
    """Print what the app logged at WARNING or above during the production rows (nothing is expected)."""
    if not records:
        print("app log records at WARNING or above during the production rows: none")
        return
    seen: dict[str, int] = {}
    for record in records:
        message = record.getMessage()[:200]
        seen[message] = seen.get(message, 0) + 1
    print(f"app log records at WARNING or above during the production rows: {len(records)}")
    for message, times in list(seen.items())[:5]:
        print(f"  {times} x {message}")
