"""The pacing headers of a request: those of the rule closest to its limit, across both counting stages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from causeloop_errors.conf import app_settings
from causeloop_errors.responses import add_response_headers

if TYPE_CHECKING:
    from causeloop_errors.ratelimits.decisions import Usage

_CLOSEST = "_causeloop_ratelimit_closest"


def publish(request: Any, usages: list[Usage]) -> None:
    """Set the pacing headers of the rule closest to its limit, across the middleware and throttle stages."""
    holder = getattr(request, "_request", request)
    candidates = [*usages, *([getattr(holder, _CLOSEST)] if hasattr(holder, _CLOSEST) else [])]
    closest = min(candidates, key=lambda usage: (usage.remaining, -usage.reset))
    setattr(holder, _CLOSEST, closest)
    headers = {
        "X-RateLimit-Limit": str(closest.rule.limit),
        "X-RateLimit-Remaining": str(closest.remaining),
        "X-RateLimit-Reset": str(closest.reset),
    }
    if app_settings.RATELIMIT_IETF_HEADERS:
        name = closest.rule.name
        headers["RateLimit-Policy"] = f'"{name}";q={closest.rule.limit};w={closest.rule.window}'
        headers["RateLimit"] = f'"{name}";r={closest.remaining};t={closest.reset}'
    add_response_headers(holder, headers)
