"""Views and authentication used only by the policy tests.

``Authorization: Test <username> <amr,amr> [service]`` authenticates as that user with a token minted
by those methods; the token's workspace comes from ``X-Token-Workspace``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from causeloop_errors.policies.permissions import EnforceWorkspacePolicy, enforce_workspace_policy, policy_exempt


@dataclass(frozen=True)
class TestToken:
    amr: tuple[str, ...]
    is_service_account: bool
    workspace_key: str | None


class TestTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, TestToken] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Test "):
            return None
        parts = header.split()
        user = get_user_model().objects.get(username=parts[1])
        token = TestToken(tuple(parts[2].split(",")), "service" in parts[3:], request.headers.get("X-Token-Workspace"))
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return "Test"


class SSOBackend(ModelBackend):
    """A login backend the tests list in SSO_BACKENDS."""


class Protected(APIView):
    authentication_classes = [TestTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, EnforceWorkspacePolicy]

    def get(self, request: Request, workspace: str | None = None) -> Response:
        return Response({"ok": True})


class Unprotected(Protected):
    permission_classes = [IsAuthenticated]


@policy_exempt
class Exempt(Protected):
    pass


class ExemptByAttribute(Protected):
    policy_exempt = True


@enforce_workspace_policy
def plain_protected(request: HttpRequest, workspace: str) -> HttpResponse:
    return JsonResponse({"ok": True})


def group_members(key: str) -> Any:
    """WORKSPACE_MEMBERS for the tests: the users of the auth group named ``key``."""
    return get_user_model().objects.filter(groups__name=key)
