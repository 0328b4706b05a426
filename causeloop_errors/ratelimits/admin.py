"""The admin of rate-limit rules."""

from __future__ import annotations

from django.contrib import admin

from causeloop_errors.ratelimits.models import RateLimitRule


@admin.register(RateLimitRule)
class RateLimitRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "mode", "rate", "key", "path_prefix", "workspace_key", "expires_at")
    list_filter = ("enabled", "mode", "key", "fail_closed")
    search_fields = ("name", "path_prefix", "path_regex", "view_names", "throttle_scopes", "workspace_key")
    autocomplete_fields = ("overrides",)
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("name", "enabled", "mode", "rate", "key", "fail_closed")}),
        ("Requests covered", {"fields": ("methods", "path_prefix", "path_regex", "view_names", "throttle_scopes")}),
        ("Scope", {"fields": ("client_networks", "workspace_key", "overrides", "expires_at", "updated_at")}),
    )
