"""Workspace policy decisions: may this user, authenticated this way, call into this workspace? No HTTP here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from causeloop_errors.auth_context import AuthContext
from causeloop_errors.exceptions import APIError, MFARequired, SSORequired
from causeloop_errors.policies.store import Policy

MFA_VERIFICATION_REQUIRED = "MFA verification is required by this workspace."
GRACE_HEADER = "MFA-Enforced-From"


@dataclass(frozen=True)
class Decision:
    """The outcome for one request: allowed or the error to raise, plus headers and a break-glass flag."""

    error: APIError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    break_glass: bool = False

    @property
    def allowed(self) -> bool:
        return self.error is None


def _has_confirmed_device(user: Any) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def decide(policy: Policy, auth: AuthContext, user: Any, now: datetime | None = None) -> Decision:
    """Return whether ``user``, authenticated as ``auth``, may call into ``policy``'s workspace.

    SSO is checked before MFA: a user told to use SSO need not enroll an MFA device first, and an
    SSO login usually carries the identity provider's own second factor.
    """
    if auth.service_account and policy.exempt_service_accounts:
        return Decision()
    details = {"workspace": policy.workspace_key}
    break_glass = False
    if policy.require_sso and not auth.sso:
        if user.pk not in policy.break_glass_user_ids:
            return Decision(error=SSORequired(details=details))
        break_glass = True
    if policy.require_mfa and not auth.mfa:
        now = now or timezone.now()
        if policy.in_grace_period(now):
            deadline = policy.mfa_enforced_from.isoformat()  # type: ignore[union-attr]
            return Decision(headers={GRACE_HEADER: deadline}, break_glass=break_glass)
        if _has_confirmed_device(user):
            return Decision(
                error=MFARequired(MFA_VERIFICATION_REQUIRED, details={**details, "reason": "verification_required"})
            )
        return Decision(error=MFARequired(details={**details, "reason": "enrollment_required"}))
    return Decision(break_glass=break_glass)
