"""Checks W005 to W007: an object saved in the admin that the current wiring cannot enforce is said, not ignored.

They read the rules and policies saved in the database (nothing is reported when it cannot be read, or while
``migrate`` runs) and the wiring: DRF's default classes, and the classes of the DRF views the URLconf routes to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning

from causeloop_errors.conf import imported
from causeloop_errors.table_check import migrating

THROTTLE = "causeloop_errors.throttling.RateLimitRuleThrottle"
PERMISSION = "causeloop_errors.permissions.EnforceWorkspacePolicy"


def _views() -> Iterator[Any]:
    """Yield the view callables of the root URLconf (its DRF views carry ``cls``)."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns: Any) -> Iterator[Any]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            else:
                yield entry.callback

    try:
        yield from walk(get_resolver().url_patterns)
    except Exception:  # a broken URLconf has checks of its own
        return


def _dotted(klass: Any) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _wired(default_setting: str, dotted: str, attribute: str, on_view: Callable[[Any], bool]) -> bool:
    """Return whether ``dotted`` is a DRF default (``default_setting``) or one view's ``attribute`` has it."""
    if dotted in getattr(settings, "REST_FRAMEWORK", {}).get(default_setting, ()):
        return True
    for view in _views():
        view_class = getattr(view, "cls", None)
        classes = getattr(view_class, attribute, ()) if view_class is not None else ()
        if any(dotted == _dotted(klass) or issubclass(klass, imported(dotted)) for klass in classes) or on_view(view):
            return True
    return False


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
    if principal_rules and not _wired("DEFAULT_THROTTLE_CLASSES", THROTTLE, "throttle_classes", lambda view: False):
        messages.append(
            Warning(
                f"Rate-limit rules counted by user, token or workspace are saved ({', '.join(principal_rules)}), but no"
                " DRF view counts them.",
                hint=f'Add "{THROTTLE}" to REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] (or to the views it covers).',
                id="causeloop_errors.W005",
            )
        )
    if policies and not _wired(
        "DEFAULT_PERMISSION_CLASSES",
        PERMISSION,
        "permission_classes",
        lambda view: getattr(view, "enforces_workspace_policy", False),
    ):
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
