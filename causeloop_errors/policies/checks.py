"""Checks of workspace policies: E006, their table exists; W006, a saved policy no view enforces; W007, MFA, no OTP.

W006 and W007 read the policies saved in the database (nothing is reported when it cannot be read, or while
``migrate`` runs) and the wiring: DRF's default classes, and the classes of the views the URLconf routes to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning

from causeloop_errors import wiring
from causeloop_errors.table_check import migrating, missing_tables

PERMISSION = "causeloop_errors.policies.permissions.EnforceWorkspacePolicy"


def check_tables(**kwargs: Any) -> list[CheckMessage]:
    """E006: the policy table exists."""
    return missing_tables("causeloop_policies", "no workspace has a policy")


def check_enforcement(**kwargs: Any) -> list[CheckMessage]:
    """W006: policies with no permission to enforce them; W007: a policy requires MFA without django-otp."""
    if migrating():
        return []
    from causeloop_errors.policies.models import WorkspacePolicy

    try:
        policies = list(WorkspacePolicy.objects.values_list("workspace_key", "require_mfa"))
    except Exception:  # the database cannot be read (down, not migrated: E006): nothing to say here
        return []
    messages: list[CheckMessage] = []
    if policies and not wiring.wired(wiring.POLICIES):
        names = ", ".join(key or "(default)" for key, _ in policies)
        messages.append(
            Warning(
                f"Workspace policies are saved ({names}), but no view enforces them.",
                hint=f'Add "{PERMISSION}" to REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] (or to the views, or'
                " decorate plain views with causeloop_errors.policies.permissions.enforce_workspace_policy).",
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
