"""The audit event: one security-relevant event, linked to the trace id of its request."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEventQuerySet(models.QuerySet["AuditEvent", "AuditEvent"]):
    def of_trace(self, trace_id: str) -> AuditEventQuerySet:
        """Return the events of one request, oldest first."""
        return self.filter(trace_id=trace_id).order_by("created_at", "pk")


class AuditEvent(models.Model):
    """One security-relevant event, linked to the request's trace id. Append-only: ``audit.record`` writes it."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_seen_at = models.DateTimeField(default=timezone.now)
    trace_id = models.CharField(max_length=128, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    code = models.CharField(max_length=64, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    workspace_key = models.CharField(max_length=100, blank=True, db_index=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=512, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    last_trace_id = models.CharField(max_length=128, blank=True, help_text="Of the latest occurrence.")
    # NULL, not "", for events that are never merged: the unique constraint ignores NULLs.
    dedup_key = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="causeloop_audit_one_row_per_dedup_key")]

    def __str__(self) -> str:
        return f"{self.action} {self.trace_id}"
