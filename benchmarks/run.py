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
  The app's ``request_started``/``request_finished`` receivers are connected for the whole process
  (``AppConfig.ready``: the trace id's reset, and whatever periodic work the app does there, such as writing
  audit repeats once an interval has passed); they are disconnected around ``plain``'s timed blocks and query
  counts (outside the timing) and reconnected after, so ``plain`` neither pays nor hides them.
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
  ``/plain/`` views no throttle) in four states, on each cache: ``none``, no rule exists; ``rule``, one
  enforcing IP rule covering ``/app/`` (rate ``1000000/h``: counted, never refused), counted by
  django-ratelimit; ``alone``, no rule, with the middleware's rule stage replaced by the one
  ``django_ratelimit.core.get_usage`` call that rule makes (same group, key, rate, cache): the floor of any
  rule, since the issue has django-ratelimit count; ``drf``, no rule, the view with DRF's
  ``AnonRateThrottle`` added, its ``cache`` set to the same cache (DRF's default is ``default_cache``), same
  rate. The caches (``settings.py``): the local-memory cache, Redis through django-redis (the recommended
  configuration) and Redis through Django's own ``RedisCache`` (``rule`` and ``none`` only: it shows the
  third round trip). Redis is ``REDIS_URL``, default ``redis://127.0.0.1:6379/0``, keys under a
  ``causeloop-bench-*`` prefix; if it does not answer, the Redis rows are skipped and the report says so.
* Per block, ``RATELIMIT_USE_CACHE`` and ``POLICY_CACHE_ALIAS`` (the rules' version stamp) are pointed at
  the block's cache, the rule enabled or disabled and the stamp bumped (as an admin save does), DRF's
  history for the client cleared, and one untimed request reloads the rules and is checked (the rule's
  ``X-RateLimit-Limit`` present only in ``rule``; DRF's history written to that cache in ``drf``). Blocks
  are interleaved as above; reported: the median per-round mean, the difference and ratio to ``none``.
* Round trips: a counting pass per state wraps ``redis.Redis.execute_command`` (each command is one round
  trip; django-redis's ``incr`` is a single EVAL) and, for the local-memory cache, counts calls on the
  cache object. Per rule = ``rule`` - ``none``; ``none`` itself is the app's own bookkeeping (its version-stamp
  reads, whatever the app's code makes of them), averaged over the pass.
* Targets: a rule adds at most 10% on the local-memory cache; on django-redis a rule costs no more than
  DRF's ``AnonRateThrottle`` and at most two round trips.

Audit events (same run, after the first table; ``--audit-rounds``, default 10)
----------------------------------------------------------------------------
* ``GET /app/forbidden``: a view raising the app's ``Forbidden`` (403 ``forbidden``), through the ``app``
  handler, in two states: ``off``, the settings (``AUDIT_CODES`` is ``[]``, as for the table above); ``on``,
  the same settings without ``AUDIT_CODES`` (its default includes ``forbidden``), applied with
  ``override_settings`` around that state's blocks only. With audit on, the middleware records the envelope
  after the view; identical denials share one ``AuditEvent`` row (the first request INSERTs it; how repeats
  reach it is the app's business: the SQL columns show what they cost).
* Checked once per state: the 403 envelope from the app's handler, and one ``auth.forbidden`` row (on) or
  none (off). Blocks interleaved as above; reported: the median per-round mean per state and their ratio.
* Queries: each of 10 requests captured on its own, from a client address no earlier request used (so its
  first request is a new event; the app remembers in memory which events have a row, so rows are not deleted
  under it); INSERT and UPDATE statements are counted from the captured SQL. Then ``flush_audit_events`` (when
  the app has it) writes the repeats the app counted but has not written yet, and the event's occurrences must
  be 10 (on) or there is no row (off). Target: at most one INSERT per audited request, and no query when off.

Rule versus django-ratelimit's decorator (same run, after the rate limits; ``--decorator-rounds``, default 30)
------------------------------------------------------------------------------------------------------------
* On the local-memory cache, through the ``app`` handler, the success view in three states: ``none``,
  ``/app/success_ruled`` and no enabled rule; ``rule``, the same view and one enforcing IP rule (``1000000/h``,
  ``path_prefix`` ``/app/``); ``decorator``, no enabled rule, ``/app/success_decorated``: the same view with
  ``django_ratelimit.decorators.ratelimit(key="ip", rate="1000000/h")`` on ``get`` (``method_decorator``, as
  django-ratelimit documents for class-based views), on the same cache (``RATELIMIT_USE_CACHE``). The two
  routes are neighbours in the URLconf, the decorated one first, so the rule's route pays one failed match more.
* Per block, the rules are enabled or disabled and the stamp bumped, and one untimed request is checked: the
  rule's ``X-RateLimit-Limit`` only in ``rule``, and django-ratelimit's count of the decorator's group up by one
  only in ``decorator``. Blocks interleaved as above; calls on the cache object and SQL queries per request
  from a counting pass. Reported: the medians, and the median of the per-round differences rule - decorator
  (drift-robust). Target: rule <= decorator + 10 us (matching and headers), reported, not enforced.

Production configuration (same run, last, in its own process; ``--production-rounds``, default 10)
------------------------------------------------------------------------------------------------
* ``benchmarks/production_rows.py`` runs with ``benchmarks/production_settings.py``: the settings of one of
  several worker processes. ``CACHES["default"]`` is the shared Redis (``REDIS_URL``) through django-redis with
  socket timeouts, keys under the ``causeloop-bench-production`` prefix (deleted before and after: nothing else
  of the shared Redis is touched); rate-limit counters (``RATELIMIT_USE_CACHE``), version stamps and audit
  counters (``POLICY_CACHE_ALIAS``) and DRF's throttle history are all on it. The database is PostgreSQL,
  ``BENCH_DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/causeloop_bench`` (created if missing,
  migrated; its app tables emptied first), with persistent connections. The app's settings are its defaults
  (audit on), with the bench's API prefixes. If Redis or PostgreSQL does not answer, the rows are skipped with a
  note. Handlers, URLconfs and the ``app``/``plain`` split are as for the first table (``harness.py``).
* Every view needs an authenticated user (``IsAuthenticated``). The four paths above are requested with a bearer
  token (``production_auth.py``: its user, read once per process, has a confirmed TOTP device; the token names
  workspace ``bench-ws`` and ``amr`` ``pwd otp``, read by the app's default resolvers); ``unauthorized`` and
  ``unauthorized_flood`` are the success view requested without a token, a 401 in both configurations (DRF
  refuses before it throttles). ``unauthorized`` runs with ``unauthorized`` left out of ``AUDIT_CODES``
  (the 401 envelope by itself); ``unauthorized_flood`` with the default codes: identical audited 401s from one
  client. ``app`` views add the app's ``EnforceWorkspacePolicy`` permission and ``RateLimitRuleThrottle``.
* Two states, entered as an operator would (rows created or deleted through the ORM, stamps bumped): (a) no
  rule and no policy, plain DRF without throttle; (b) one enforcing IP rule covering ``/app/`` (``1000000/h``)
  and a ``WorkspacePolicy`` requiring MFA of ``bench-ws``; plain DRF with ``ClientRateThrottle``: DRF's
  ``AnonRateThrottle`` (same rate, on the same Redis) without its skip of authenticated requests, so it counts
  every request by address, as the IP rule does (``AnonRateThrottle`` itself would count none of the
  authenticated rows). On the 401 rows plain DRF counts nothing in (b) (it refuses first); the rule still counts.
* Checked per state and row: the envelopes and plain answers as for the first table (401s with
  ``WWW-Authenticate``), the rule's ``X-RateLimit-Limit`` in (b) only, DRF's history in Redis in (b) only, the
  policy of ``bench-ws`` (``require_mfa``) decided once per authenticated request in (b) and never in (a)
  (``permissions.decide`` wrapped), a password-only token refused 403 ``mfa_required`` (``verification_required``:
  the device is seen) in (b), and an ``auth.unauthorized`` event written for the flood.
* After a warm-up per state, row and configuration, a counting pass: one request left out (reloads, stamp
  reads after a settings change), then 500 requests under ``CaptureQueriesContext`` on the PostgreSQL
  connection with ``redis.Redis.execute_command`` counted (``cache_counting.py``); commands sent inside the rule's
  ``ratelimits.get_usage`` are the rule's own, the rest of the app's are its bookkeeping; on ``plain`` they are
  DRF's throttle. Timing: R rounds; each round enters both states (order alternating), and in each state every
  row runs a block of N requests per configuration (order alternating), after one untimed request and with
  DRF's history cleared. Reported per state as in the first table, plus SQL and round trips per request.
* Targets: success <= 1.10x, every error row <= 1.25x, the audited 401 flood <= 1.25x (timings, reported);
  a covering rule (with the policy check: (b) - (a) on the success row) <= DRF's throttle ((b) - (a) on plain),
  reported. Counted (exit status): the audited 401 flood makes 0 SQL statements per request in steady state,
  and on no row does the app add SQL statements or cache round trips of its own per request; "0" means at most
  0.05 per request over the pass, what periodic work (a stamp read every fraction of a second, an audit flush
  every few seconds) amortizes to, where work done per request counts 1. What the app logs at WARNING or above
  during these rows is printed.

Exit status: 1 if the app changes the number of SQL queries on some path, makes one on a rate-limit or
decorator row or on the audit ``off`` row, writes more than one INSERT for an audited request, a rule costs
more than two round trips on django-redis, or in the production rows the app adds SQL statements or cache
round trips of its own per request in steady state; 2 if a check above fails (the benchmark would not be
measuring the app); 0 otherwise. Timings never fail the run.

Run ``make bench`` or ``.venv/bin/python benchmarks/run.py`` from the repository root; ``--help`` lists
the knobs, and ``--profile PATH`` prints a cProfile of one path instead of timing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the ``benchmarks`` package importable from the root
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import audit_rows, core, decorator_rows, ratelimit_rows
from benchmarks.harness import CONFIGS, PATHS, ROOT, BenchmarkError, build_handlers, drive, environ, setup_django


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
    parser.add_argument(
        "--decorator-rounds", type=int, default=30, help="timed rounds of rule vs @ratelimit (default 30; 0 skips)"
    )
    parser.add_argument(
        "--production-rounds",
        type=int,
        default=10,
        help="timed rounds of the production rows, Redis and PostgreSQL (default 10; 0 skips them)",
    )
    parser.add_argument("--profile", choices=PATHS, help="print a cProfile of this path instead of timing")
    parser.add_argument("--profile-config", choices=CONFIGS, default="app", help="configuration to profile")
    parser.add_argument("--profile-requests", type=int, default=5000, help="requests to profile (default 5000)")
    parser.add_argument("--profile-limit", type=int, default=30, help="rows per profile listing (default 30)")
    args = parser.parse_args(argv)
    counts = (args.warmup, args.rate_rounds, args.audit_rounds, args.decorator_rounds, args.production_rounds)
    if args.rounds < 1 or args.requests < 1 or min(counts) < 0:
        parser.error("--rounds and --requests must be at least 1, --warmup and the other --*-rounds at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    began = time.perf_counter()
    setup_django()
    cases = core.cases()
    try:
        core.check_logging_silenced()
        handlers = build_handlers()
        core.verify(handlers, cases)
    except BenchmarkError as error:
        print(f"bench: setup check failed: {error}", file=sys.stderr)
        return 2
    for case in cases:
        for config in CONFIGS:
            drive(handlers[config], [environ(config, case) for _ in range(args.warmup)])

    if args.profile:
        case = next(case for case in cases if case.name == args.profile)
        config = args.profile_config
        core.profile(handlers[config], config, case, args.profile_requests, args.profile_limit)
        return 0

    queries = {
        case.name: {config: core.count_queries(handlers[config], config, case) for config in CONFIGS} for case in cases
    }
    samples = core.measure(handlers, cases, args.rounds, args.requests)
    results = [core.Result(case, samples[case.name], queries[case.name]) for case in cases]
    same_queries = core.report(results, args.rounds, args.requests, time.perf_counter() - began)
    parts = (
        ("audit", "audit events", args.audit_rounds, audit_rows.audit_events),
        ("rate-limit", "rate limits", args.rate_rounds, ratelimit_rows.rate_limits),
        ("decorator", "rule vs @ratelimit", args.decorator_rounds, decorator_rows.decorator_rows),
    )
    for setup, title, rounds, run_part in parts:  # each part: (summary, targets held), or a failed setup check
        if not rounds:
            continue
        try:
            summary, part_ok = run_part(handlers["app"], args)
        except BenchmarkError as error:
            print(f"bench: {setup} setup check failed: {error}", file=sys.stderr)
            return 2
        print(f"\nbench {title}: {summary}; {time.perf_counter() - began:.1f} s in all")
        same_queries &= part_ok
    status = 0 if same_queries else 1
    if args.production_rounds:
        production = _production(args)
        print(f"\nbench production: exit status {production}; {time.perf_counter() - began:.1f} s in all")
        status = max(status, production)
    return status


def _production(args: argparse.Namespace) -> int:
    """Run the production rows in their own process (other settings: Redis, PostgreSQL); return its status."""
    sys.stdout.flush()
    command = [sys.executable, "-m", "benchmarks.production_rows", "--rounds", str(args.production_rounds)]
    command += ["--requests", str(args.requests), "--warmup", str(args.warmup)]
    returncode = subprocess.run(command, cwd=ROOT, check=False).returncode
    return returncode if returncode in (0, 1) else 2


if __name__ == "__main__":
    sys.exit(main())
