"""What the project wires: which optional features its DRF defaults and routed views can apply.

Read from ``REST_FRAMEWORK``'s default classes and the classes of the views the root URLconf routes to, so the
OpenAPI document, ``error_catalog`` and the checks list a feature's codes only where it can answer them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings

from causeloop_errors import catalog, exceptions
from causeloop_errors.catalog import ErrorCode
from causeloop_errors.conf import app_settings, imported

THROTTLE = "causeloop_errors.throttling.RateLimitRuleThrottle"
PERMISSION = "causeloop_errors.permissions.EnforceWorkspacePolicy"
POLICY_CODES = frozenset({exceptions.MFARequired.code, exceptions.SSORequired.code})
RATE_LIMIT_CODES = frozenset({exceptions.RateLimited.code})
PERMISSION_MARK = "enforces_workspace_policy"  # set on plain views by ``permissions.enforce_workspace_policy``


def views() -> Iterator[Any]:
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


def _has(classes: Any, dotted: str | None) -> bool:
    """Return whether ``classes`` holds ``dotted`` (a subclass counts); any class at all when ``dotted`` is None."""
    if dotted is None:
        return bool(classes)
    return any(dotted == _dotted(klass) or issubclass(klass, imported(dotted)) for klass in classes)


def wired(default_setting: str, dotted: str | None, attribute: str, on_view: Callable[[Any], bool]) -> bool:
    """Return whether ``dotted`` is a DRF default (``default_setting``) or one routed view's ``attribute`` has it."""
    defaults = getattr(settings, "REST_FRAMEWORK", {}).get(default_setting, ())
    if (dotted in defaults) if dotted is not None else bool(defaults):
        return True
    for view in views():
        view_class = getattr(view, "cls", None)
        if (view_class is not None and _has(getattr(view_class, attribute, ()), dotted)) or on_view(view):
            return True
    return False


def policies_enforced() -> bool:
    """Return whether any routed view enforces workspace policies (a DRF default, a view's class, a decorator)."""
    marked: Callable[[Any], bool] = lambda view: bool(getattr(view, PERMISSION_MARK, False))  # noqa: E731
    return wired("DEFAULT_PERMISSION_CLASSES", PERMISSION, "permission_classes", marked)


def rules_counted() -> bool:
    """Return whether ``RateLimitRuleThrottle`` counts rules anywhere (a DRF default or a routed view's)."""
    return wired("DEFAULT_THROTTLE_CLASSES", THROTTLE, "throttle_classes", lambda view: False)


def rules_cover_every_operation() -> bool:
    """Return whether rate-limit rules are taken to cover every path (``OPENAPI_RATE_LIMIT_ALL_OPERATIONS``).

    Unset, they do once ``RateLimitRuleThrottle`` is wired: rules saved in the admin can then name any path.
    """
    chosen = app_settings.OPENAPI_RATE_LIMIT_ALL_OPERATIONS
    return rules_counted() if chosen is None else chosen


def wired_codes() -> list[ErrorCode]:
    """Return the registered codes this project can answer: a feature's codes only where it is wired."""
    left_out: set[str] = set()
    if not policies_enforced():
        left_out |= POLICY_CODES
    throttled = wired("DEFAULT_THROTTLE_CLASSES", None, "throttle_classes", lambda view: False)
    if not throttled and not rules_cover_every_operation():
        left_out |= RATE_LIMIT_CODES  # neither a DRF throttle nor a rule can refuse a request
    return [entry for entry in catalog.all_codes() if entry.code not in left_out]
