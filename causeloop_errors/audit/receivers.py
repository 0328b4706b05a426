"""The app's own receivers: they turn the app's signals into audit events (connected in ``AppConfig.ready``).

Disconnect any of them by its ``dispatch_uid`` (``causeloop_errors.audit.<name>``) to stop recording it.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from django.db.models import Model

from causeloop_errors import reporting, trace
from causeloop_errors.audit import writer as audit
from causeloop_errors.clientip import counted_address
from causeloop_errors.conf import app_settings

ERROR_ACTIONS = {
    "unauthorized": "auth.unauthorized",
    "invalid_grant": "auth.invalid_grant",
    "forbidden": "auth.forbidden",
    "mfa_required": "policy.mfa_required",
    "sso_required": "policy.sso_required",
    "rate_limited": "ratelimit.exceeded",
    "internal_error": "api.internal_error",
}
CHANGE_ACTIONS = {"WorkspacePolicy": "policy.changed", "RateLimitRule": "ratelimit_rule.changed"}


def _bucket() -> int:
    return int(time.time()) // app_settings.AUDIT_DEDUP_SECONDS


def _route(request: Any) -> str:
    """Return the URL pattern the request resolved to (``"-"`` when none): bounded by the URLconf, not the client."""
    match = getattr(request, "resolver_match", None)
    return str(match.route) if match is not None else "-"


def _who(request: Any) -> str:
    """Return what an attacker cannot vary: the user and the route, or, anonymous, the client's address or /64."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}|{_route(request)}"
    return f"anonymous|{counted_address(audit.client_ip_of(request))}"


def _dedup(action: str, request: Any) -> str:
    """Name the event a refusal or crash is merged into for the current window (see the README, Audit events)."""
    if action == "api.internal_error":  # per route and exception class: a crash loop is one row per window
        return f"{action}|{_route(request)}|{reporting.exception_class(request)}|{_bucket()}"
    return f"{action}|{_who(request)}|{_bucket()}"


def on_error_emitted(sender: Any, request: Any, code: str, status: int, details: Any, **kwargs: Any) -> None:
    """Record an audited error code, unless a more specific event of this request already has it."""
    if code not in app_settings.AUDIT_CODES or code in audit.pending_codes(request):
        return
    action = ERROR_ACTIONS.get(code, f"api.{code}")
    dedup = _dedup(action, request)
    # workspace_key None: resolved from the request only if the event's row is written (a repeat needs none).
    audit.defer(request, action=action, code=code, status=status, workspace_key=None, details=details, dedup=dedup)


def on_policy_denied(
    sender: Any, request: Any, user: Any, workspace_key: str, code: str, details: Any, **kw: Any
) -> None:
    if code not in app_settings.AUDIT_CODES:
        return
    reason = (details or {}).get("reason", "")
    dedup = f"policy.{code}|{user.pk}|{workspace_key}|{reason}|{_bucket()}"
    audit.defer(
        request,
        action=f"policy.{code}",
        code=code,
        status=403,
        workspace_key=workspace_key,
        details=details,
        dedup=dedup,
    )


def on_break_glass(sender: Any, request: Any, user: Any, workspace_key: str, **kwargs: Any) -> None:
    audit.defer(request, action="policy.break_glass", workspace_key=workspace_key, details={"workspace": workspace_key})


def _rate_limit(action: str, code: str, status: int | None) -> Any:
    def receiver(sender: Any, request: Any, rule: str, key: str, counted: str, window_end: int, **kwargs: Any) -> None:
        if action == "ratelimit.exceeded" and code not in app_settings.AUDIT_CODES:
            return
        period = int(kwargs["window_seconds"])
        details = {"rule": rule, "key": key, "limit": kwargs["limit"], "window_seconds": period}
        # One row per rule, counted value and window: a flood is one event whose occurrences grow. The window is
        # named by its index (django-ratelimit offsets each value's windows by a hash of it), so a clock read a
        # second apart still names the same window.
        index = round((window_end - zlib.crc32(counted.encode()) % period) / period)
        audit.defer(
            request,
            action=action,
            code=code,
            status=status,
            workspace_key=None,  # resolved from the request when the row is written
            details=details,
            dedup=f"{action}|{rule}|{key}|{counted}|{index}",
        )

    return receiver


on_rate_limit_exceeded = _rate_limit("ratelimit.exceeded", "rate_limited", 429)
on_rate_limit_observed = _rate_limit("ratelimit.observed", "", None)


def on_config_changed(sender: type[Model], instance: Model, operation: str, changes: dict[str, Any], **kw: Any) -> None:
    """Record a policy or rule change in the change's own transaction, by the admin user of the request."""
    request = trace.get_current_request()
    details = {"object": str(instance), "operation": operation, "changes": changes}
    workspace = getattr(instance, "workspace_key", "")
    action = CHANGE_ACTIONS.get(sender.__name__, f"{sender._meta.model_name}.changed")  # a host's watched model
    audit.record(action, request=request, workspace_key=workspace, details=details)
