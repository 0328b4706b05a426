"""DRF permissions of the demo: a ``read`` token may only read; a token only acts in its own workspace."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from causeloop_errors.exceptions import Forbidden
from causeloop_errors.workspaces import WORKSPACE_HEADER
from example_project.demo.models import ApiToken, Scope

READ_ONLY_TOKEN = "This token's scope does not allow changes."
OTHER_WORKSPACE = "This token belongs to another workspace."


class TokenScopePermission(BasePermission):
    """Allow unsafe methods only to ``read_write`` tokens; list it after ``IsAuthenticated``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        token = request.auth
        if not isinstance(token, ApiToken):
            return False  # not authenticated by token: IsAuthenticated, listed first, has answered
        if token.scope == Scope.READ_WRITE:
            return True
        raise Forbidden(READ_ONLY_TOKEN, details={"token_scope": token.scope, "required": Scope.READ_WRITE.value})


class TokenWorkspacePermission(BasePermission):
    """Refuse an ``X-Workspace`` header naming another workspace than the token's; list it after the policy.

    The demo's views act on the token's workspace, while the policy is decided for the workspace the
    header names: without this check an ``acme`` token sent with ``X-Workspace: initech`` would pass
    initech's open policy and still read acme's data.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        named = request.headers.get(WORKSPACE_HEADER)
        if not isinstance(token, ApiToken) or named is None or named == token.workspace_key:
            return True
        raise Forbidden(OTHER_WORKSPACE, details={"workspace": named, "token_workspace": token.workspace_key})
