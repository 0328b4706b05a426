"""Checks of rate-limit rules: E006, their table exists; W005, a saved rule no DRF view can count.

W005 reads the rules saved in the database (nothing is reported when it cannot be read, or while ``migrate``
runs) and the wiring: DRF's default classes, and the classes of the DRF views the URLconf routes to.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning

from causeloop_errors import wiring
from causeloop_errors.table_check import migrating, missing_tables

THROTTLE = "causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"


def check_tables(**kwargs: Any) -> list[CheckMessage]:
    """E006: the rule table exists."""
    return missing_tables("causeloop_ratelimits", "no rate-limit rule applies")


def check_enforcement(**kwargs: Any) -> list[CheckMessage]:
    """W005: rules counted by user, token or workspace, with no throttle to count them."""
    if migrating():
        return []
    from causeloop_errors.ratelimits.models import RateLimitRule

    try:
        names = list(RateLimitRule.objects.filter(enabled=True).exclude(key="ip").values_list("name", flat=True))
    except Exception:  # the database cannot be read (down, not migrated: E006): nothing to say here
        return []
    if not names or wiring.wired(wiring.RATE_LIMITS):
        return []
    return [
        Warning(
            f"Rate-limit rules counted by user, token or workspace are saved ({', '.join(names)}), but no DRF view"
            " counts them.",
            hint=f'Add "{THROTTLE}" to REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] (or to the views it covers).',
            id="causeloop_errors.W005",
        )
    ]
