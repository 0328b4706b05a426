"""Which error statuses an operation can answer, read from its view's classes; and the per-view overrides.

Each rule names what really produces the status, so the schema documents no status the operation
cannot answer and omits none it can (405 and 406 excepted: every operation answers them).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly

from causeloop_errors import wiring
from causeloop_errors.conf import app_settings

CODES_ATTRIBUTE = "error_codes"
STATUSES_ATTRIBUTE = "error_statuses"
ALWAYS = frozenset({500, 503})  # a crash; a database that is unavailable (database_errors)
BODY = frozenset({400, 413, 415})  # invalid or malformed, too large, a content type no parser reads


@dataclass(frozen=True)
class Operation:
    """What the schema generator knows about one operation besides its view."""

    method: str
    action: str | None = None
    has_body: bool = False
    has_path_parameters: bool = False
    paginated: bool = False

    @property
    def safe(self) -> bool:
        return self.method.upper() in SAFE_METHODS


def features_of(view: Any) -> list[wiring.Feature]:
    """Return the installed features that apply to this view (rate-limit rules: every view, unless told otherwise)."""
    every = wiring.rules_cover_every_operation()
    return [found for found in wiring.features() if found.on_view(view) or (found.every_operation and every)]


def rules_may_cover(view: Any) -> bool:
    """Return whether rate-limit rules can refuse this view's requests (and send their pacing headers)."""
    return any(found.name == wiring.RATE_LIMITS for found in features_of(view))


def enforces_policy(view: Any) -> bool:
    """Return whether a workspace policy is enforced on this view (the policy permission, not exempt)."""
    return any(found.name == wiring.POLICIES for found in features_of(view))


def _from_features(view: Any) -> set[int]:
    statuses: set[int] = set()
    for found in features_of(view):
        statuses |= found.statuses
        if found.resolves_workspace and app_settings.WORKSPACE_MODEL:
            statuses.add(404)  # a workspace key no workspace has
    return statuses


def _from_access(view: Any, operation: Operation) -> set[int]:
    """Return the statuses of authentication and permissions: 401 for credentials, 403 for denials."""
    authenticators = view.get_authenticators()
    statuses = set()
    if any(not isinstance(authenticator, SessionAuthentication) for authenticator in authenticators):
        statuses.add(401)  # a malformed or unknown credential fails, whatever the permissions
    if not operation.safe and any(isinstance(authenticator, SessionAuthentication) for authenticator in authenticators):
        statuses.add(403)  # DRF's CSRF check for session-authenticated requests
    for permission in view.get_permissions():
        kind = type(permission)
        if kind is AllowAny or (kind is IsAuthenticatedOrReadOnly and operation.safe):
            continue
        if any(found.on_view_class(kind) for found in wiring.features()):
            continue  # _from_features: a feature's permission judges only authenticated requests
        statuses.add(401 if authenticators else 403)  # DRF refuses an anonymous request as not authenticated
        if kind not in (IsAuthenticated, IsAuthenticatedOrReadOnly):
            statuses.add(403)  # any other permission may deny an authenticated request
    return statuses


def _from_throttles(view: Any) -> set[int]:
    return {429} if view.get_throttles() else set()  # DRF's own throttles


def inferred(view: Any, operation: Operation) -> set[int]:
    """Return the error statuses the view's classes and the operation's shape can produce."""
    statuses = set(ALWAYS) | _from_access(view, operation) | _from_features(view) | _from_throttles(view)
    if operation.has_body:
        statuses |= BODY
    if operation.has_path_parameters or operation.paginated:
        statuses.add(404)  # a lookup that finds nothing, a path value no converter accepts, an invalid page
    return statuses


def declared(view: Any, attribute: str, operation: Operation) -> Collection[Any] | None:
    """Return a view's override for this operation: a collection, or a mapping by method or viewset action."""
    value = getattr(view, attribute, None)
    if isinstance(value, Mapping):
        keys = (operation.action, operation.method.lower())
        value = next((value[key] for key in keys if key is not None and key in value), None)
    return (value,) if isinstance(value, (str, int)) else value  # one code or status written without a tuple
