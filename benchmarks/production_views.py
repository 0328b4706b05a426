"""The production rows' views: the bench's views (``views.py``) with authentication, permissions and throttles.

Both configurations: ``IsAuthenticated`` (``DEFAULT_PERMISSION_CLASSES``) and the bench token
(``production_auth.py``). ``/app/``: the app's exception handler, its ``EnforceWorkspacePolicy`` permission after
``IsAuthenticated``, and its ``RateLimitRuleThrottle`` (``DEFAULT_THROTTLE_CLASSES``). ``/plain/``: DRF's handler,
no permission of the app, and the throttles in ``PLAIN_THROTTLES``: none in state (a), ``ClientRateThrottle`` in
state (b). ``unauthorized`` and ``unauthorized_flood`` are the success view again, requested without a token.
This module is also the ``ROOT_URLCONF`` of ``production_settings`` (both prefixes); each handler resolves its own
one-prefix URLconf from ``urlconf()``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle
from rest_framework.views import APIView

from benchmarks.views import ANON_RATE, HANDLERS, VIEWS, SuccessView
from causeloop_errors.policies.permissions import EnforceWorkspacePolicy

ROWS: dict[str, type[APIView]] = {**VIEWS, "unauthorized": SuccessView, "unauthorized_flood": SuccessView}
PLAIN_THROTTLES: list[type[BaseThrottle]] = []  # switched by production_state between states (a) and (b)
DRF_HISTORY_KEY = "throttle_anon_127.0.0.1"  # ClientRateThrottle's cache key for REMOTE_ADDR 127.0.0.1


class ClientRateThrottle(AnonRateThrottle):
    """DRF's ``AnonRateThrottle`` counting every request by client address, as an IP rule does.

    ``AnonRateThrottle`` itself skips authenticated requests (its ``get_cache_key`` returns None for them), so on
    the authenticated rows it would count nothing while the rule counts every request. This is the same class
    without that shortcut: on an anonymous request it does exactly ``AnonRateThrottle``'s work, on DRF's
    ``default_cache`` (the shared Redis here).
    """

    rate = ANON_RATE

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _view(config: str, view: type[APIView]) -> Any:
    permissions: list[type[BasePermission]] = [IsAuthenticated]
    throttles: list[type[BaseThrottle]] = PLAIN_THROTTLES
    if config == "app":
        permissions = [IsAuthenticated, EnforceWorkspacePolicy]
        throttles = list(api_settings.DEFAULT_THROTTLE_CLASSES)
    handler = HANDLERS[config]

    def get_exception_handler(self: APIView) -> Any:
        return handler

    attributes = {
        "get_exception_handler": get_exception_handler,
        "permission_classes": permissions,
        "throttle_classes": throttles,  # PLAIN_THROTTLES itself: DRF reads the list on every request
    }
    return type(f"Production{config.title()}{view.__name__}", (view,), attributes).as_view()


def routes(config: str) -> list[URLPattern]:
    """Return the routes of every production row for ``config`` ("app" or "plain")."""
    return [path(name, _view(config, view)) for name, view in ROWS.items()]


_urlconfs: dict[str, ModuleType] = {}


def urlconf(config: str) -> ModuleType:
    """Return ``config``'s one-prefix URLconf, a module built once (Django caches a resolver per URLconf)."""
    if config not in _urlconfs:
        module = ModuleType(f"benchmarks.production_urls_{config}")
        module.urlpatterns = [path(f"{config}/", include(routes(config)))]  # type: ignore[attr-defined]
        _urlconfs[config] = module
    return _urlconfs[config]


urlpatterns: list[URLResolver] = [path("app/", include(routes("app"))), path("plain/", include(routes("plain")))]
