"""Count the rules covering a request with django-ratelimit, and decide: pass, 429, or 503 on a cache fault.

Each rule is its own django-ratelimit group (``causeloop:<name>``) on the cache django-ratelimit
uses (``RATELIMIT_USE_CACHE``): one ``add`` and one ``incr`` per rule and request. Every covering
rule is counted; the request is refused if any enforcing rule is exceeded, with the longest wait.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_ratelimit import core as ratelimit_core
from django_ratelimit.core import get_usage

from causeloop_errors import faults, signals
from causeloop_errors.clientip import counted_address
from causeloop_errors.exceptions import RateLimited, ServiceUnavailable
from causeloop_errors.ratelimits import headers
from causeloop_errors.ratelimits.rules import Rule, Target, select
from causeloop_errors.ratelimits.store import store

logger = logging.getLogger("causeloop_errors")

GROUP_PREFIX = "causeloop:"
FAULT_RETRY_AFTER = 5
FAULT_LOG_INTERVAL = 60.0
MESSAGES = {
    "ip": "Too many requests from this IP.",
    "user": "Too many requests from this user.",
    "token": "Too many requests with this token.",
    "workspace": "Too many requests for this workspace.",
}
_RULES = "_causeloop_ratelimit_rules"
_last_fault_log: dict[str, float] = {}


class CacheFault(Exception):
    """The cache could not count a request."""


@dataclass(slots=True)  # one per rule and request: not frozen, so building it is a plain __init__
class Usage:
    """Where one request leaves one rule: its count, what remains, and seconds until the window resets."""

    rule: Rule
    count: int
    reset: int
    key_kind: str
    value: str
    window_end: int

    @property
    def remaining(self) -> int:
        return max(0, self.rule.limit - self.count)

    @property
    def exceeded(self) -> bool:
        return self.count > self.rule.limit


def _value(rule: Rule, request: Any, target: Target) -> tuple[str, str] | None:
    """Return (key kind, value) that ``rule`` counts this request by, or None when it has none."""
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    kind = rule.key
    if kind == "user_or_ip":
        kind = "user" if authenticated else "ip"
    if kind == "ip":
        return (kind, counted_address(target.ip)) if target.ip else None
    if kind == "user":
        return (kind, str(user.pk)) if authenticated else None  # type: ignore[union-attr]
    if kind == "token":
        token = getattr(request, "auth", None)
        identity = getattr(token, "pk", None) if token is not None else None
        return (kind, str(identity)) if identity is not None else None
    return (kind, target.workspace) if target.workspace else None


def count(request: Any, rule: Rule, kind: str, value: str) -> Usage:
    """Count one request against ``rule``; raise ``CacheFault`` when the cache fails or is backing off.

    A cache that failed is not asked again for ``faults.CACHE_BACKOFF_SECONDS``: a stalled Redis costs one client
    timeout per back-off and process, not one per rule and request.
    """
    alias = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    if not faults.cache_available(alias):
        raise CacheFault(f"the cache {alias!r} failed moments ago")
    try:
        # The rate goes as django-ratelimit's own parsed (limit, seconds) pair: its cache key is the same as for
        # the string, without parsing the string twice per request.
        usage = get_usage(
            request,
            group=GROUP_PREFIX + rule.name,
            key=lambda group, req: value,
            rate=(rule.limit, rule.window),
            increment=True,
        )
    except Exception as exc:
        faults.back_off(alias)
        raise CacheFault(str(exc)) from exc
    if usage is None or (usage["limit"] == 0 and usage["time_left"] == -1):  # django-ratelimit's "cache failed"
        raise CacheFault("the cache returned no count")
    # time_left counts whole seconds to the window's last second, which still belongs to the window: the wait
    # until a request is admitted again is one more.
    left = max(0, int(usage["time_left"]))
    return Usage(rule, int(usage["count"]), left + 1, kind, value, int(ratelimit_core.time.time()) + left)


def _fault(request: Any, rule: Rule, fault: CacheFault) -> None:
    if rule.fail_closed and not rule.observe:  # observe never refuses, even when the cache fails
        raise ServiceUnavailable.retry_in(
            FAULT_RETRY_AFTER, "Rate limiting is temporarily unavailable.", details={"rule": rule.name}
        )
    now = time.monotonic()
    if now - _last_fault_log.get(rule.name, -FAULT_LOG_INTERVAL) >= FAULT_LOG_INTERVAL:
        _last_fault_log[rule.name] = now
        logger.warning("Rate-limit rule %s let a request through: the cache failed (%s)", rule.name, fault)


def live_rules(request: Any) -> tuple[Rule, ...]:
    """Return the live rules, read once per request (the middleware and throttle stages share them)."""
    holder = getattr(request, "_request", request)
    rules = getattr(holder, _RULES, None)
    if rules is None:
        rules = store.rules()
        setattr(holder, _RULES, rules)
    return rules


def evaluate(request: Any, target: Target, kinds: frozenset[str]) -> None:
    """Count every covering rule whose key is one of ``kinds``; raise the 429 (or 503) if one must refuse."""
    candidates = live_rules(request)
    # The clock is read only when a rule can expire: most requests have no temporary rule to check.
    now = timezone.now() if any(rule.expires_at is not None for rule in candidates) else None
    rules = [rule for rule in select(candidates, target, now) if kind_of(rule) in kinds]
    enforced: list[Usage] = []
    for rule in rules:
        keyed = _value(rule, request, target)
        if keyed is None:
            continue
        try:
            usage = count(request, rule, *keyed)
        except CacheFault as fault:
            _fault(request, rule, fault)
            continue
        if rule.observe:
            if usage.exceeded:
                _report(signals.rate_limit_observed, request, usage)
            continue
        enforced.append(usage)
    if not enforced:
        return
    headers.publish(request, enforced)
    exceeded = [usage for usage in enforced if usage.exceeded]
    if exceeded:
        worst = max(exceeded, key=lambda usage: usage.reset)
        _report(signals.rate_limit_exceeded, request, worst)
        wait = max(1, worst.reset)
        raise RateLimited(
            MESSAGES[worst.key_kind],
            retry_after=wait,
            details={"rule": worst.rule.name, "limit": worst.rule.limit, "window_seconds": worst.rule.window},
        )


def kind_of(rule: Rule) -> str:
    """Return the stage that can count ``rule``: ``ip`` (before the view) or ``principal`` (after DRF auth)."""
    return "ip" if rule.key == "ip" else "principal"


def _report(signal: Any, request: Any, usage: Usage) -> None:
    from causeloop_errors.ratelimits.models import RateLimitRule

    django_request = getattr(request, "_request", request)
    signal.send(
        sender=RateLimitRule,
        request=django_request,
        rule=usage.rule.name,
        key=usage.key_kind,
        counted=usage.value,
        limit=usage.rule.limit,
        window_seconds=usage.rule.window,
        retry_after=max(1, usage.reset),
        window_end=usage.window_end,
    )
    if usage.rule.observe:
        logger.warning("Rate-limit rule %s (observe) would have refused this request", usage.rule.name)
