"""Views and authentication used only by the rate-limit tests.

``Authorization: Rl <username> <token id>`` authenticates as that user with a token whose ``pk`` is the token id
and whose workspace comes from ``X-Token-Workspace``. ``FailingAuthentication`` refuses every request and
records that it was asked, so a test can tell whether a request reached authentication at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from causeloop_errors import exceptions as errors
from causeloop_errors.ratelimits.throttling import RateLimitRuleThrottle

AUTHENTICATION_ATTEMPTS: list[str] = []


@dataclass(frozen=True)
class RlToken:
    pk: int
    workspace_key: str | None


class RlTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, RlToken] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Rl "):
            return None
        _, username, token_id = header.split()
        user = get_user_model().objects.get(username=username)
        return user, RlToken(int(token_id), request.headers.get("X-Token-Workspace"))

    def authenticate_header(self, request: Request) -> str:
        return "Rl"


class FailingAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> None:
        AUTHENTICATION_ATTEMPTS.append(request.path)
        raise drf.AuthenticationFailed("Invalid credentials.")

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class Counted(APIView):
    """A DRF view whose principal rules are counted by ``RateLimitRuleThrottle``."""

    authentication_classes = [RlTokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [RateLimitRuleThrottle]

    def get(self, request: Request, workspace: str | None = None) -> Response:
        return Response({"ok": True})

    def post(self, request: Request, workspace: str | None = None) -> Response:
        return Response({"ok": True})


class Other(Counted):
    pass


class Scoped(Counted):
    throttle_scope = "uploads"


class Fails(Counted):
    def get(self, request: Request, workspace: str | None = None) -> Response:
        raise errors.Conflict("Already done.")


class DefaultThrottles(Counted):
    """Relies on the project's ``DEFAULT_THROTTLE_CLASSES`` (``RateLimitRuleThrottle`` in the test settings)."""

    throttle_classes = APIView.throttle_classes


class Unthrottled(Counted):
    """A DRF view without ``RateLimitRuleThrottle``: only the middleware's IP rules reach it."""

    throttle_classes: list[Any] = []


class TokenEndpoint(APIView):
    """A credential endpoint whose authentication always fails, like a flood of bad passwords."""

    authentication_classes = [FailingAuthentication]
    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        return Response({"token": "never"})


def plain(request: HttpRequest, workspace: str | None = None) -> HttpResponse:
    """A plain Django view: the middleware counts every rule here, with the session's user."""
    return JsonResponse({"user": request.user.get_username() or None})


class CallableView:
    """A view that is a callable instance, without ``__name__``: Django routes it like any view."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return JsonResponse({"ok": True})


callable_view = CallableView()
