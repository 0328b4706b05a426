"""Enforce workspace policies: a DRF permission class, and a decorator for plain Django views.

DRF authenticates inside the view, so enforcement for token auth cannot be a middleware. Endpoints a
blocked user needs in order to comply (enroll or confirm a device, log out, who-am-i) are marked with
``@policy_exempt`` or a ``policy_exempt = True`` view attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

from django.http import HttpRequest, HttpResponseBase
from rest_framework.permissions import BasePermission

from causeloop_errors import signals, workspaces
from causeloop_errors.auth_context import auth_context
from causeloop_errors.policies.decisions import GRACE_HEADER, decide
from causeloop_errors.policies.store import store
from causeloop_errors.responses import add_response_headers
from causeloop_errors.wiring import POLICIES, Feature

EXEMPT_ATTRIBUTE = "policy_exempt"
PERMISSION_MARK = "enforces_workspace_policy"  # on plain views decorated with ``enforce_workspace_policy``

if TYPE_CHECKING:  # DRF imports this module while importing rest_framework.views (DEFAULT_PERMISSION_CLASSES)
    from rest_framework.request import Request
    from rest_framework.views import APIView

V = TypeVar("V")


def policy_exempt(view: V) -> V:
    """Mark a view (function or class) as reachable whatever the workspace's policy."""
    setattr(view, EXEMPT_ATTRIBUTE, True)
    return view


def enforce(request: Any) -> None:
    """Raise the policy's error if the request's user may not call into the targeted workspace.

    Anonymous requests pass: authentication is decided elsewhere and answers 401 first.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    key = workspaces.workspace_of(request)
    if key is None:
        return
    _enforce_one(request, user, key)
    own = workspaces.token_workspace(request)
    if own is not None and own != key:  # a header or URL naming another workspace never escapes the token's own
        _enforce_one(request, user, own)


def _enforce_one(request: Any, user: Any, key: str) -> None:
    policy = store.get(key)
    if policy is None:
        return
    decision = decide(policy, auth_context(request), user)
    django_request = getattr(request, "_request", request)
    sender = _policy_model()
    if decision.error is not None:
        signals.policy_denied.send(
            sender=sender,
            request=django_request,
            user=user,
            workspace_key=key,
            code=decision.error.code,
            details=decision.error.details,
        )
        raise decision.error
    if decision.break_glass:
        signals.break_glass_used.send(sender=sender, request=django_request, user=user, workspace_key=key)
    if decision.headers:
        add_response_headers(django_request, decision.headers)


def _policy_model() -> type:
    from causeloop_errors.policies.models import WorkspacePolicy

    return WorkspacePolicy


class EnforceWorkspacePolicy(BasePermission):
    """Deny with 403 ``mfa_required`` or ``sso_required`` when the workspace's policy is not met."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not getattr(view, EXEMPT_ATTRIBUTE, False):
            enforce(request)
        return True


def enforce_workspace_policy(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Decorate a plain Django view with the same enforcement (the middleware renders the error)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        enforce(request)
        return view(request, *args, **kwargs)

    setattr(wrapper, PERMISSION_MARK, True)  # for check W006 and the OpenAPI document
    return wrapper


FEATURE = Feature(
    name=POLICIES,
    dotted=f"{__name__}.EnforceWorkspacePolicy",
    default_setting="DEFAULT_PERMISSION_CLASSES",
    attribute="permission_classes",
    getter="get_permissions",
    statuses=frozenset({400, 403, 503}),  # a malformed key; mfa_required or sso_required; a policy unreadable
    resolves_workspace=True,
    headers=(GRACE_HEADER,),
    mark=PERMISSION_MARK,
    exempt=EXEMPT_ATTRIBUTE,
)
