"""Trouble with the services the app's own bookkeeping uses: said loudly, once a minute, and never waited on twice.

The app keeps version stamps, audit counters and rate-limit counts in a cache, and snapshots of admin rows from
the database. When one of them raises or stalls, the request goes on from what the process already knows; this
module holds the two pieces of that: ``warn`` (one WARNING per minute per cause) and a short back-off per cache
alias, so a stalled cache costs one client timeout per ``CACHE_BACKOFF_SECONDS`` and process, not one per request
and operation.
"""

from __future__ import annotations

import logging
import time
from typing import Any

logger = logging.getLogger("causeloop_errors")

WARNING_INTERVAL = 60.0
CACHE_BACKOFF_SECONDS = 5.0

_warned_at: dict[str, float] = {}
_cache_down_until: dict[str, float] = {}


def warn(cause: str, message: str, *args: Any) -> None:
    """Log ``message`` as a WARNING, at most once per ``WARNING_INTERVAL`` seconds for the same ``cause``."""
    now = time.monotonic()
    if now - _warned_at.get(cause, -WARNING_INTERVAL) >= WARNING_INTERVAL:
        _warned_at[cause] = now
        logger.warning(message, *args)


def cache_available(alias: str) -> bool:
    """Return False while the cache ``alias`` is backing off after a failure (callers then skip it)."""
    until = _cache_down_until.get(alias)
    return until is None or time.monotonic() >= until


def back_off(alias: str) -> None:
    """Skip the cache ``alias`` for ``CACHE_BACKOFF_SECONDS`` (the caller has said what failed)."""
    _cache_down_until[alias] = time.monotonic() + CACHE_BACKOFF_SECONDS


def cache_failed(alias: str, what: str, exc: BaseException) -> None:
    """Note that the cache ``alias`` failed doing ``what``: warn (once a minute) and back off for a few seconds."""
    back_off(alias)
    warn(
        f"cache:{alias}:{what}",
        "causeloop_errors: the cache %r failed (%s: %s) while %s; going on from what this process knows",
        alias,
        exc.__class__.__name__,
        exc,
        what,
    )


def cache_recovered(alias: str) -> None:
    """Forget a back-off once an operation on ``alias`` succeeded."""
    _cache_down_until.pop(alias, None)


def reset(**kwargs: Any) -> None:
    """Forget every back-off and warning time (a ``setting_changed`` receiver, and for tests)."""
    if kwargs.get("setting", "CACHES") in ("CACHES", "CAUSELOOP_ERRORS"):
        _cache_down_until.clear()
        _warned_at.clear()
