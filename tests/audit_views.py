"""Views used only by the audit tests: each writes a row, then fails in one of the ways the audit trail records.

They authenticate with the policy tests' ``Authorization: Test <username> <amr,...>`` token (or a session), so
an event can have an actor.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from causeloop_errors import exceptions as errors
from causeloop_errors import trace
from causeloop_errors.policies.permissions import EnforceWorkspacePolicy
from causeloop_errors.ratelimits.throttling import RateLimitRuleThrottle
from tests.policy_views import TestTokenAuthentication

# What the views below raise, by the name in their URL.
FAILURES: dict[str, Any] = {
    "unauthorized": lambda: errors.Unauthorized("Invalid credentials."),
    "invalid_grant": lambda: errors.InvalidGrant(),
    "forbidden": lambda: errors.Forbidden("Not yours.", details={"reason": "not_owner"}),
    "not_found": lambda: errors.NotFound("No such thing.", details={"id": "thing_1"}),
    "validation_error": lambda: errors.ValidationError(details={"name": "This field is required."}),
    "conflict": lambda: errors.Conflict(details={"name": "taken"}),
    "crash": lambda: RuntimeError("password=hunter2 in SELECT * FROM auth_user"),
}


class _Audited(APIView):
    authentication_classes = [TestTokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]


class WritesThenFails(_Audited):
    """``POST``: create a group named after the failure, then raise that failure."""

    def post(self, request: Request, name: str) -> Response:
        Group.objects.create(name=f"written-before-{name}")
        raise FAILURES[name]()

    def get(self, request: Request, name: str, workspace: str = "") -> Response:
        raise FAILURES[name]()


class FailsWithDetails(_Audited):
    """``POST``: raise ``forbidden`` whose details are the request's JSON body (as a careless view might)."""

    def post(self, request: Request) -> Response:
        raise errors.Forbidden("Refused.", details=request.data)


class WritesThenChecks(_Audited):
    """Write a group named after the trace id, then let DRF check the workspace policy and the rate-limit rules.

    A refusal by either is raised inside the request's transaction (``ATOMIC_REQUESTS``), which it rolls back.
    """

    permission_classes = [IsAuthenticated, EnforceWorkspacePolicy]
    throttle_classes = [RateLimitRuleThrottle]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        Group.objects.create(name=f"written-{trace.get_trace_id()}")
        super().initial(request, *args, **kwargs)

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


def plain_writes_then_crashes(request: HttpRequest) -> HttpResponse:
    """A plain Django view: its exception leaves ``ATOMIC_REQUESTS``' block and rolls the write back."""
    Group.objects.create(name="written-before-plain-crash")
    raise RuntimeError("plain view crashed")
