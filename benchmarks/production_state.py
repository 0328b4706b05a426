"""The production rows' services and states: Redis and PostgreSQL probed, the bench's data, states (a) and (b).

State (a): no rate-limit rule and no workspace policy exist; plain DRF has no throttle. State (b): one enforcing IP
rule covering ``/app/`` (``1000000/h``: counted, never refused) and one policy requiring MFA of workspace
``bench-ws``, the workspace of the bench token; plain DRF has ``ClientRateThrottle`` (``AnonRateThrottle`` for
every request) at the same rate. A state is entered the way an operator changes it: rows created or deleted
through the ORM (the app's signals bump the version stamps on commit), then the stamps bumped once more, as a
save in the admin does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from unittest.mock import patch

from benchmarks.harness import Case, Handler, environ, expect, request
from benchmarks.production_auth import PASSWORD_TOKEN, WORKSPACE

# Django must be set up before ``production_views`` is imported (DRF reads its settings at import): below,
# it is imported inside functions only.

STATES = ("a", "b")
STATE_TEXT = {"a": "no rule, no policy", "b": "one covering IP rule, one MFA policy"}
RULE_NAME = "bench-production-ip"
RULE_RATE = "1000000/h"
RULE_LIMIT = RULE_RATE.split("/")[0]


def service_problem() -> str | None:
    """Return why Redis or PostgreSQL cannot be used, or None; create the bench's database if it is missing."""
    import psycopg
    import redis
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from benchmarks import production_settings as settings

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis at {settings.REDIS_URL} is unreachable ({exc.__class__.__name__}: {exc})"
    name = str(conninfo_to_dict(settings.DATABASE_URL).get("dbname") or "causeloop_bench")
    try:
        conninfo = make_conninfo(settings.DATABASE_URL, dbname="postgres", connect_timeout=2)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except Exception as exc:
        return f"PostgreSQL at {settings.DATABASE_URL} is unusable ({exc.__class__.__name__}: {exc})"
    return None


def clear_redis() -> int:
    """Delete the bench's own keys (under its ``KEY_PREFIX`` only; nothing else of the shared Redis)."""
    from django.core.cache import caches

    return int(caches["default"].delete_pattern("*"))


def reset_database() -> None:
    """Start from empty app tables in the bench's own database."""
    from causeloop_errors.audit.models import AuditEvent
    from causeloop_errors.policies.models import WorkspacePolicy
    from causeloop_errors.ratelimits.models import RateLimitRule

    RateLimitRule.objects.all().delete()
    WorkspacePolicy.objects.all().delete()
    AuditEvent.objects.all().delete()


def enter_state(state: str) -> None:
    """Create (b) or delete (a) the rule and the policy, bump the stamps, switch plain DRF's throttle."""
    from benchmarks.production_views import PLAIN_THROTTLES, ClientRateThrottle
    from causeloop_errors.policies import store as policies
    from causeloop_errors.policies.models import WorkspacePolicy
    from causeloop_errors.ratelimits import store as rules
    from causeloop_errors.ratelimits.models import RateLimitRule

    if state == "b":
        RateLimitRule.objects.get_or_create(
            name=RULE_NAME, defaults={"rate": RULE_RATE, "key": "ip", "path_prefix": "/app/", "mode": "enforce"}
        )
        WorkspacePolicy.objects.get_or_create(workspace_key=WORKSPACE, defaults={"require_mfa": True})
        PLAIN_THROTTLES[:] = [ClientRateThrottle]
    else:
        RateLimitRule.objects.all().delete()
        WorkspacePolicy.objects.all().delete()
        PLAIN_THROTTLES[:] = []
    rules.stamp.bump()
    policies.stamp.bump()


def clear_drf_history() -> None:
    """Empty DRF's request history of the bench client (see ``ratelimit_rows._measure_rates`` for why)."""
    from django.core.cache import caches

    from benchmarks.production_views import DRF_HISTORY_KEY

    caches["default"].delete(DRF_HISTORY_KEY)


def audit_settings(case: Case) -> Any:
    """Return the settings of ``case``'s blocks: ``unauthorized`` leaves its code out of ``AUDIT_CODES``."""
    if case.name != "unauthorized":
        return nullcontext()
    from django.conf import settings
    from django.test import override_settings

    from causeloop_errors.conf import DEFAULTS

    codes = [code for code in DEFAULTS["AUDIT_CODES"] if code != "unauthorized"]
    return override_settings(CAUSELOOP_ERRORS={**settings.CAUSELOOP_ERRORS, "AUDIT_CODES": codes})


@contextmanager
def _counting_decisions() -> Iterator[list[Any]]:
    """Record the policies ``EnforceWorkspacePolicy`` decides on (wraps ``permissions.decide``)."""
    from causeloop_errors.policies import permissions

    decided: list[Any] = []
    real = permissions.decide

    def decide(policy: Any, *args: Any, **kwargs: Any) -> Any:
        decided.append(policy)
        return real(policy, *args, **kwargs)

    with patch.object(permissions, "decide", decide):
        yield decided


def check_state(handlers: dict[str, Handler], cases: list[Case], state: str) -> None:
    """Check every row's answers in ``state``, that the rule counts and the policy is evaluated only in (b)."""
    from django.core.cache import caches

    from benchmarks.core import check_app, check_plain
    from benchmarks.production_views import DRF_HISTORY_KEY
    from benchmarks.views import SUCCESS_BODY

    for case in cases:
        where = f"production ({state}) {case.name}"
        clear_drf_history()
        with audit_settings(case), _counting_decisions() as decided:
            replies = {config: request(handlers[config], environ(config, case)) for config in handlers}
        check_app(case, replies["app"])
        check_plain(case, replies["plain"])
        limit = replies["app"].headers.get("x-ratelimit-limit")
        expected_limit = RULE_LIMIT if state == "b" else None
        expect(limit == expected_limit, f"{where}: X-RateLimit-Limit {limit!r}, expected {expected_limit!r}")
        if case.status == 401:
            for config, reply in replies.items():
                expect("www-authenticate" in reply.headers, f"{where}: {config} 401 without WWW-Authenticate")
            continue
        policies = [(policy.workspace_key, policy.require_mfa) for policy in decided]
        expected = [(WORKSPACE, True)] if state == "b" else []
        expect(policies == expected, f"{where}: policies decided {policies!r}, expected {expected!r}")
        history = caches["default"].get(DRF_HISTORY_KEY)
        expect(bool(history) == (state == "b"), f"{where}: DRF throttle history {history!r} in state {state}")
        if case.status == 200:
            bodies = [json.loads(reply.body) for reply in replies.values()]
            expect(bodies == [SUCCESS_BODY, SUCCESS_BODY], f"{where}: success bodies {bodies!r}")
    if state == "b":
        _check_policy_refuses(handlers["app"], cases[0])


def _check_policy_refuses(handler: Handler, success: Case) -> None:
    """The same request with a password-only token: the policy answers 403 ``mfa_required`` (device confirmed)."""
    case = Case(success.name, "GET", b"", 403, success.target, (("HTTP_AUTHORIZATION", PASSWORD_TOKEN),))
    reply = request(handler, environ("app", case))
    error = json.loads(reply.body).get("error") or {}
    reason = (error.get("details") or {}).get("reason")
    expect(
        reply.status == 403 and error.get("code") == "mfa_required" and reason == "verification_required",
        f"production (b): a password-only token was not refused by the MFA policy: {reply.body[:300]!r}",
    )


def check_flood_recorded() -> None:
    """The audited 401s have their event row (the first occurrence is written at once)."""
    from causeloop_errors.audit.models import AuditEvent

    rows = AuditEvent.objects.filter(action="auth.unauthorized").count()
    expect(rows >= 1, "production: the audited 401 flood wrote no auth.unauthorized event")
