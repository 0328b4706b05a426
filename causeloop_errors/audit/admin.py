"""The admin of audit events: read-only, searchable by trace id."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from causeloop_errors.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: events are written by ``causeloop_errors.audit`` alone and never edited."""

    list_display = (
        "created_at",
        "action",
        "code",
        "status",
        "actor_username",
        "workspace_key",
        "client_ip",
        "path",
        "occurrences",
        "same_trace",
    )
    list_filter = ("action", "code", "workspace_key", "created_at")
    search_fields = ("=trace_id", "=last_trace_id", "actor_username", "=client_ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="trace")
    def same_trace(self, event: AuditEvent) -> str:
        url = reverse("admin:causeloop_audit_auditevent_changelist")
        # search, not ?trace_id=: it also finds the rows whose latest occurrence had this trace id
        return format_html('<a href="{}?q={}">{}</a>', url, event.trace_id, event.trace_id)
