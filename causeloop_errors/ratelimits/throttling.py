"""Where rate-limit rules are counted: before the view for IP rules, in DRF's throttle for the rest.

The middleware counts IP-keyed rules in ``process_view``, after URL resolution and before the view
runs, so a flood on ``/auth/token`` is stopped before any authentication work; for plain Django
views it counts every rule (their user is the session's). ``RateLimitRuleThrottle``, in DRF's
``DEFAULT_THROTTLE_CLASSES``, counts user, token and workspace rules once DRF has authenticated.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rest_framework.throttling import BaseThrottle

from causeloop_errors.clientip import client_ip
from causeloop_errors.ratelimits import decisions as ratelimits
from causeloop_errors.ratelimits.rules import Rule, Target
from causeloop_errors.wiring import RATE_LIMITS, Feature
from causeloop_errors.workspaces import workspace_or_none

PACING_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "RateLimit-Policy", "RateLimit")
IP_ONLY = frozenset({"ip"})
PRINCIPALS = frozenset({"principal"})
EVERY_KEY = IP_ONLY | PRINCIPALS


def _names(view: Any) -> frozenset[str]:
    """Return a view's class or function name and dotted path (a callable instance is named by its class)."""
    named: Callable[..., Any] = view if hasattr(view, "__qualname__") else type(view)
    return _names_of(named)


@lru_cache(maxsize=1024)
def _names_of(named: Callable[..., Any]) -> frozenset[str]:
    return frozenset({named.__name__, f"{named.__module__}.{named.__qualname__}"})


def _target(request: Any, view: Any, rules: tuple[Rule, ...]) -> Target:
    """Return what ``rules`` (every live rule: one stage's rules can override the other's) can match on."""
    needs_workspace = any(rule.workspace_key or rule.key == "workspace" for rule in rules)
    needs_names = any(rule.view_names or rule.scopes for rule in rules)
    return Target(
        method=request.method,
        path=request.path_info,
        view_names=_names(view) if needs_names else frozenset(),
        scope=getattr(view, "throttle_scope", None),
        ip=client_ip(request),
        workspace=workspace_or_none(request) if needs_workspace else None,
    )


def check_view(request: Any, view_func: Any) -> None:
    """Middleware stage: count IP rules (every rule for a plain Django view); raise 429/503 if refused."""
    from rest_framework.views import APIView

    rules = ratelimits.live_rules(request)
    if not rules:
        return
    view = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None) or view_func
    kinds = IP_ONLY if isinstance(view, type) and issubclass(view, APIView) else EVERY_KEY
    if any(ratelimits.kind_of(rule) in kinds for rule in rules):
        ratelimits.evaluate(request, _target(request, view, rules), kinds)


class RateLimitRuleThrottle(BaseThrottle):
    """DRF stage: count user, token and workspace rules with the authenticated principal."""

    def allow_request(self, request: Any, view: Any) -> bool:
        rules = ratelimits.live_rules(request)
        if any(ratelimits.kind_of(rule) in PRINCIPALS for rule in rules):
            ratelimits.evaluate(request, _target(request, type(view), rules), PRINCIPALS)
        return True  # a refusal is raised as the rule's own 429, not DRF's generic Throttled

    def wait(self) -> float | None:
        return None


FEATURE = Feature(
    name=RATE_LIMITS,
    dotted=f"{__name__}.RateLimitRuleThrottle",
    default_setting="DEFAULT_THROTTLE_CLASSES",
    attribute="throttle_classes",
    getter="get_throttles",
    statuses=frozenset({429, 503}),  # refused by a rule, or a fail-closed rule whose cache failed
    headers=PACING_HEADERS,
    every_operation=True,  # the middleware's view guard counts IP rules before any view
)
