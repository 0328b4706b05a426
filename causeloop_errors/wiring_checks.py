"""Checks W005 to W007: an object saved in the admin that the current wiring cannot enforce is said, not ignored.

They read the rules and policies saved in the database (nothing is reported when it cannot be read, or while
``migrate`` runs) and the wiring: DRF's default classes, and the classes of the DRF views the URLconf routes to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning

from causeloop_errors.table_check import migrating
from causeloop_errors.wiring import PERMISSION, THROTTLE, policies_enforced, rules_counted


def check_enforcement(**kwargs: Any) -> list[CheckMessage]:
    """W005: principal rules with no throttle to count them; W006: policies with no permission; W007: MFA, no OTP."""
    if migrating():
        return []
    from causeloop_errors.models import RateLimitRule, WorkspacePolicy

    try:
        principal_rules = list(
            RateLimitRule.objects.filter(enabled=True).exclude(key="ip").values_list("name", flat=True)
        )
        policies = list(WorkspacePolicy.objects.values_list("workspace_key", "require_mfa"))
    except Exception:  # the database cannot be read (down, not migrated: E006): nothing to say here
        return []
    messages: list[CheckMessage] = []
    if principal_rules and not rules_counted():
        messages.append(
            Warning(
                f"Rate-limit rules counted by user, token or workspace are saved ({', '.join(principal_rules)}), but no"
                " DRF view counts them.",
                hint=f'Add "{THROTTLE}" to REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] (or to the views it covers).',
                id="causeloop_errors.W005",
            )
        )
    if policies and not policies_enforced():
        names = ", ".join(key or "(default)" for key, _ in policies)
        messages.append(
            Warning(
                f"Workspace policies are saved ({names}), but no view enforces them.",
                hint=f'Add "{PERMISSION}" to REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] (or to the views, or'
                " decorate plain views with causeloop_errors.permissions.enforce_workspace_policy).",
                id="causeloop_errors.W006",
            )
        )
    if any(require_mfa for _, require_mfa in policies) and "django_otp" not in settings.INSTALLED_APPS:
        messages.append(
            Warning(
                "A workspace policy requires MFA, but django_otp is not in INSTALLED_APPS: no device can be confirmed,"
                " so every request into that workspace is refused with mfa_required.",
                hint='Add "django_otp" and a device plugin (e.g. "django_otp.plugins.otp_totp") to INSTALLED_APPS.',
                id="causeloop_errors.W007",
            )
        )
    return messages
