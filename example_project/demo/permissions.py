"""DRF permission: a ``read`` token may only read."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from causeloop_errors.exceptions import Forbidden
from example_project.demo.models import ApiToken, Scope

READ_ONLY_TOKEN = "This token's scope does not allow changes."


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
