"""The admin of workspace security policies, with the members each requirement would block."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.module_loading import import_string

from causeloop_errors import workspaces
from causeloop_errors.conf import app_settings
from causeloop_errors.policies.models import WorkspacePolicy

BREAK_GLASS_NEEDS_SSO = "Break-glass users only make sense when “Require SSO” is ticked."


class WorkspacePolicyForm(forms.ModelForm):
    class Meta:
        model = WorkspacePolicy
        fields = (
            "workspace_key",
            "require_mfa",
            "mfa_enforced_from",
            "require_sso",
            "break_glass_users",
            "exempt_service_accounts",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        known = workspaces.choices()
        if known:  # WORKSPACE_MODEL is set: offer its workspaces; the model's clean() rejects others
            field = self.fields["workspace_key"]
            self.fields["workspace_key"] = forms.ChoiceField(
                label=field.label, help_text=field.help_text, required=False, choices=[("", "(default)"), *known]
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("break_glass_users") and not cleaned.get("require_sso"):
            self.add_error("break_glass_users", BREAK_GLASS_NEEDS_SSO)
        return cleaned


def impact(policy: WorkspacePolicy) -> str:
    """Return how many of the workspace's members each requirement blocks, or why it cannot be counted."""
    if not policy.workspace_key:
        return "The default policy: each workspace's members are counted on its own policy."
    if app_settings.WORKSPACE_MEMBERS is None:
        return "Set CAUSELOOP_ERRORS['WORKSPACE_MEMBERS'] to see how many members a change would block."
    from django_otp import device_classes

    members = list(import_string(app_settings.WORKSPACE_MEMBERS)(policy.workspace_key))
    ids = [member.pk for member in members]
    enrolled: set[Any] = set()
    for device in device_classes():
        enrolled.update(device.objects.filter(user__in=ids, confirmed=True).values_list("user_id", flat=True))
    break_glass = set(policy.break_glass_users.values_list("pk", flat=True)) if policy.pk else set()
    no_device = sum(1 for pk in ids if pk not in enrolled)
    no_sso = sum(1 for pk in ids if pk not in break_glass)
    return (
        f"{len(ids)} members. Require MFA blocks {no_device} (no confirmed MFA device). "
        f"Require SSO blocks {no_sso} whenever they sign in without SSO (break-glass users excepted)."
    )


@admin.register(WorkspacePolicy)
class WorkspacePolicyAdmin(admin.ModelAdmin):
    form = WorkspacePolicyForm
    list_display = (
        "__str__",
        "require_mfa",
        "mfa_enforced_from",
        "require_sso",
        "exempt_service_accounts",
        "updated_at",
    )
    list_filter = ("require_mfa", "require_sso", "exempt_service_accounts")
    search_fields = ("workspace_key",)
    filter_horizontal = ("break_glass_users",)
    readonly_fields = ("members_blocked", "updated_at")

    @admin.display(description="members blocked")
    def members_blocked(self, policy: WorkspacePolicy) -> str:
        return impact(policy)
