"""What the project wires: the feature apps installed, and where their DRF classes apply.

A feature app describes itself with a ``Feature`` and registers it in its ``ready()``; the core reads the
descriptions (never the feature's modules) with ``REST_FRAMEWORK``'s default classes and the classes of the views
the root URLconf routes to, so the OpenAPI document, ``error_catalog`` and the checks list a feature's codes,
statuses and headers only where it can answer them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from causeloop_errors import catalog
from causeloop_errors.codes import ErrorCode
from causeloop_errors.conf import app_settings, imported


@dataclass(frozen=True)
class Feature:
    """How a feature app's DRF class is wired and what it answers where it applies."""

    name: str
    dotted: str  # the DRF class that applies the feature: a permission or a throttle
    default_setting: str  # the REST_FRAMEWORK list of defaults that may hold it
    attribute: str  # the view attribute that may hold it: "permission_classes" or "throttle_classes"
    getter: str  # the view method returning its instances: "get_permissions" or "get_throttles"
    statuses: frozenset[int] = frozenset()
    resolves_workspace: bool = False  # 404 too for a workspace key no workspace has, with WORKSPACE_MODEL
    headers: tuple[str, ...] = ()  # response headers it adds
    mark: str | None = None  # attribute set on a plain Django view the feature applies to (a decorator's)
    exempt: str | None = None  # attribute that exempts a view
    every_operation: bool = False  # it also applies before every view (the middleware's view guard)

    def on_view_class(self, klass: type) -> bool:
        """Return whether ``klass`` is the feature's class or a subclass of it."""
        return issubclass(klass, imported(self.dotted))

    def on_view(self, view: Any) -> bool:
        """Return whether the feature's class is among a DRF view instance's, and the view is not exempt."""
        if self.exempt and getattr(view, self.exempt, False):
            return False
        klass = imported(self.dotted)
        return any(isinstance(item, klass) for item in getattr(view, self.getter)())


POLICIES = "policies"
RATE_LIMITS = "ratelimits"
_features: dict[str, Feature] = {}


def add_feature(feature: Feature) -> None:
    """Register a feature app's description (its ``ready()`` does)."""
    _features[feature.name] = feature


def features() -> list[Feature]:
    """Return the registered features (those whose apps are installed)."""
    return list(_features.values())


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


def _holds(classes: Any, dotted: str | None) -> bool:
    """Return whether ``classes`` holds ``dotted`` (a subclass counts); any class at all when ``dotted`` is None."""
    if dotted is None:
        return bool(classes)
    return any(dotted == _dotted(klass) or issubclass(klass, imported(dotted)) for klass in classes)


def _wired(default_setting: str, dotted: str | None, attribute: str, mark: str | None = None) -> bool:
    defaults = getattr(settings, "REST_FRAMEWORK", {}).get(default_setting, ())
    if (dotted in defaults) if dotted is not None else bool(defaults):
        return True
    for view in views():
        view_class = getattr(view, "cls", None)
        if view_class is not None and _holds(getattr(view_class, attribute, ()), dotted):
            return True
        if mark is not None and getattr(view, mark, False):
            return True
    return False


def wired(name: str) -> bool:
    """Return whether feature ``name`` is installed and its class is a DRF default or on a routed view."""
    found = _features.get(name)
    return found is not None and _wired(found.default_setting, found.dotted, found.attribute, found.mark)


def rules_cover_every_operation() -> bool:
    """Return whether rate-limit rules are taken to cover every path (``OPENAPI_RATE_LIMIT_ALL_OPERATIONS``).

    Unset, they do once the rate-limit app is installed: its rules, saved in the admin, can name any path.
    """
    chosen = app_settings.OPENAPI_RATE_LIMIT_ALL_OPERATIONS
    return RATE_LIMITS in _features if chosen is None else chosen


def wired_codes() -> list[ErrorCode]:
    """Return the registered codes this project can answer: a feature's codes only where it is wired.

    The core's codes are all listed: any view may raise them (``rate_limited`` too: DRF's throttles, django-ratelimit).
    """
    codes = catalog.all_codes()
    applied = {name for name in {entry.feature for entry in codes if entry.feature} if wired(name)}  # one walk each
    return [entry for entry in codes if not entry.feature or entry.feature in applied]
