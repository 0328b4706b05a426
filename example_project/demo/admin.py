"""Declarative admins of the example API; token digests are read-only and tokens are never added here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from example_project.demo.models import ApiToken, Connector, Issue, Membership, ServiceAccount, Workspace


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace"]
    list_filter = ["workspace"]
    raw_id_fields = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "workspace", "scope", "amr", "is_service_account", "created", "expires_at"]
    list_filter = ["scope", "is_service_account", "workspace"]
    readonly_fields = ["digest", "user", "workspace", "amr", "created"]
    fields = ["digest", "user", "workspace", "scope", "amr", "is_service_account", "created", "expires_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a token's secret exists only at minting; see tokens.mint


@admin.register(Issue)
class IssueAdmin(admin.ModelAdmin):
    list_display = ["public_id", "title", "severity", "workspace", "created"]
    list_filter = ["severity", "workspace"]
    search_fields = ["public_id", "title"]
    readonly_fields = ["public_id", "created"]


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    list_display = ["name", "workspace", "created"]
    list_filter = ["workspace"]


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "workspace", "created"]
    list_filter = ["type", "workspace"]
    readonly_fields = ["config"]
