"""``GET /api/audit-events?trace_id=...``: the audit events of one request, for support staff.

A customer quotes the ``trace_id`` of an error; support pastes it here (or into the admin) and sees what the
app recorded about that request: who, which workspace, from where, which code, how often, and the trace ids of
the event's first (``trace_id``) and latest (``last_trace_id``) occurrences, the one quoted among them.

Reading the trail takes what the admin's audit pages take: a staff user with the ``view_auditevent`` permission
of ``causeloop_errors`` (a superuser has every permission); anyone else is answered 403 ``forbidden``.

The view follows the token's workspace policy like every other view of the example API (it is not
``policy_exempt``): exemptions are for what a blocked user needs in order to comply, and reading the security
trail is not one of them, so a staff token minted without the second factor an MFA workspace demands is told
``mfa_required`` rather than shown who was denied what.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from causeloop_errors import trace
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.exceptions import Forbidden
from example_project.demo import openapi
from example_project.demo.views import TokenAPIView

STAFF_ONLY = "Only staff may read audit events."
VIEW_AUDIT_EVENTS = "causeloop_audit.view_auditevent"
PERMISSION_REQUIRED = "Reading audit events requires the permission to view them."
MALFORMED_TRACE_ID = "Not a well-formed trace id."


class CanViewAuditEvents(BasePermission):
    """Allow staff users with ``causeloop_audit.view_auditevent`` only, as the admin's audit pages do.

    Anyone else is answered 403 ``forbidden``. List it after ``IsAuthenticated``.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not getattr(user, "is_staff", False):
            raise Forbidden(STAFF_ONLY)
        if not user.has_perm(VIEW_AUDIT_EVENTS):
            raise Forbidden(PERMISSION_REQUIRED, details={"permission": VIEW_AUDIT_EVENTS})
        return True


class AuditEventQuerySerializer(serializers.Serializer):
    # A RegexField, so the OpenAPI document states the format the view checks.
    trace_id = serializers.RegexField(
        trace.VALID_ID_PATTERN, max_length=128, trim_whitespace=False, error_messages={"invalid": MALFORMED_TRACE_ID}
    )

    def validate_trace_id(self, value: str) -> str:
        if not trace.is_valid_incoming_id(value):  # the same rule, also refusing what the regex's "$" lets by
            raise serializers.ValidationError(MALFORMED_TRACE_ID)
        return value


def _event(event: AuditEvent) -> dict[str, Any]:
    return {
        "created_at": event.created_at,
        "trace_id": event.trace_id,  # of the first occurrence
        "action": event.action,
        "code": event.code,
        "status": event.status,
        "actor": event.actor_username or None,  # the snapshot: still there after the user is deleted
        "workspace": event.workspace_key or None,
        "client_ip": event.client_ip,
        "method": event.method,
        "path": event.path,
        "occurrences": event.occurrences,
        # Of the latest occurrence: audit.record always sets it; a row written otherwise had one occurrence.
        "last_trace_id": event.last_trace_id or event.trace_id,
        "details": event.details,
    }


class AuditEventListView(TokenAPIView):
    """``GET /api/audit-events?trace_id=...``: the events whose first or latest occurrence had that trace id."""

    permission_classes = [*TokenAPIView.permission_classes, CanViewAuditEvents]
    error_codes = ("validation_error",)  # a missing or malformed trace_id

    @extend_schema(parameters=[AuditEventQuerySerializer], responses=openapi.AuditEventListSerializer)
    def get(self, request: Request) -> Response:
        query = AuditEventQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        trace_id = query.validated_data["trace_id"]
        events = AuditEvent.objects.filter(Q(trace_id=trace_id) | Q(last_trace_id=trace_id)).order_by(
            "created_at", "pk"
        )
        return Response({"results": [_event(event) for event in events]})
