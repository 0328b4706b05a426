"""Measure an audited 403 with audit events on and off: checks, SQL statements, timing; print the rows."""

from __future__ import annotations

import argparse
import io
import itertools
import json
import statistics
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from benchmarks.harness import (
    ERROR_TARGET,
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

AUDIT_CASE = Case("forbidden", "GET", b"", 403, ERROR_TARGET)  # the target is not used: no timing target
AUDIT_STATES = ("on", "off")
AUDIT_MAX_INSERTS = 1
_clients = itertools.count(1)


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


def _new_client() -> str:
    """Return a client address no request of this run has used: its first audited denial is a new event.

    The app remembers in memory which events have a row (repeats are then counted without a query), so the
    bench starts each check from a new client rather than by deleting rows under the app.
    """
    number = next(_clients)
    return f"10.99.{number // 250}.{number % 250 + 1}"


def _environ_of(client: str) -> Environ:
    request_environ = environ("app", AUDIT_CASE)
    request_environ["REMOTE_ADDR"] = client
    return request_environ


def _write_repeats() -> None:
    """Have the app write the repeats it has counted but not yet written (``flush_audit_events``), if it has it."""
    from django.core.management import call_command, get_commands

    if "flush_audit_events" in get_commands():
        call_command("flush_audit_events", stdout=io.StringIO())


def _audit_rows(client: str) -> list[tuple[str, str, int]]:
    from causeloop_errors.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(client_ip=client).values_list("action", "code", "occurrences"))


def _check_audit(handler: Handler) -> None:
    for state in AUDIT_STATES:
        client = _new_client()
        with _audit_state(state):
            reply = request(handler, _environ_of(client))
        where = f"audit {state}/{AUDIT_CASE.name}"
        expect(reply.status == 403, f"{where}: status {reply.status}: {reply.body[:300]!r}")
        expect(reply.from_view_handler, f"{where}: the envelope did not come from the app's exception handler")
        error = json.loads(reply.body).get("error") or {}
        expect(error.get("code") == "forbidden", f"{where}: not a forbidden envelope: {reply.body[:300]!r}")
        expected = [("auth.forbidden", "forbidden", 1)] if state == "on" else []
        rows = _audit_rows(client)
        expect(rows == expected, f"{where}: audit rows {rows!r}, expected {expected!r}")


def _audit_counts(handler: Handler, state: str) -> AuditCounts:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    client = _new_client()  # the first request inserts the event, the others repeat it
    statements: list[list[str]] = []
    with _audit_state(state):
        for _ in range(QUERY_SAMPLE):
            with ExitStack() as stack:
                contexts = [stack.enter_context(CaptureQueriesContext(connections[alias])) for alias in connections]
                drive(handler, [_environ_of(client)])
            statements.append([query["sql"].lstrip().upper() for c in contexts for query in c.captured_queries])
    _write_repeats()
    recorded = sum(occurrences for _, _, occurrences in _audit_rows(client))
    expect(recorded == (QUERY_SAMPLE if state == "on" else 0), f"audit {state}: {recorded} occurrences recorded")

    def per_request(verb: str) -> list[int]:
        return [sum(sql.startswith(verb) for sql in request) for request in statements]

    inserts = per_request("INSERT")
    return AuditCounts(
        sum(map(len, statements)) / QUERY_SAMPLE,
        sum(inserts) / QUERY_SAMPLE,
        sum(per_request("UPDATE")) / QUERY_SAMPLE,
        max(inserts),
    )


def audit_events(handler: Handler, args: argparse.Namespace) -> tuple[str, bool]:
    """Measure and print the audit rows; return a summary line and whether the counted targets hold."""
    _check_audit(handler)
    counts = {state: _audit_counts(handler, state) for state in AUDIT_STATES}
    for state in AUDIT_STATES:
        with _audit_state(state):
            drive(handler, [environ("app", AUDIT_CASE) for _ in range(args.warmup)])
    samples: dict[str, list[float]] = {state: [] for state in AUDIT_STATES}
    for round_index in range(args.audit_rounds):
        for state in AUDIT_STATES if round_index % 2 == 0 else AUDIT_STATES[::-1]:
            with _audit_state(state):
                samples[state].append(time_block(handler, "app", AUDIT_CASE, args.requests))
    median = {state: statistics.median(values) for state, values in samples.items()}

    print(
        f"\naudit events: GET /app/{AUDIT_CASE.name} (403 forbidden) through the app. on: AUDIT_CODES at its "
        "default (has forbidden), identical denials share one row (the first request INSERTs it; repeats are counted "
        f"as the app counts them); off: AUDIT_CODES [] as above.\n{args.audit_rounds} rounds x {args.requests} "
        f"requests per state, interleaved. Queries: SQL statements per request (BEGIN, COMMIT, savepoints included) "
        f"over {QUERY_SAMPLE} requests of a new client (occurrences checked after flush_audit_events).\n"
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
            f"{count.updates:>8g}{count.max_inserts:>16}{verdict(result):>8}"
        )
    on, off = counts["on"], counts["off"]
    inserts_ok = on.max_inserts <= AUDIT_MAX_INSERTS
    summary = (
        f"on {median['on'] / base:.2f}x off ({median['on'] - base:+.1f} us per request); at most {on.max_inserts} "
        f"INSERT per audited request (<= {AUDIT_MAX_INSERTS} {verdict(inserts_ok)}); off {off.queries:g} queries "
        f"({verdict(off.queries == 0)})"
    )
    return summary, inserts_ok and off.queries == 0
