"""The workspace security policy: what a workspace requires of the people who call its API."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from causeloop_errors import workspaces

DEFAULT_POLICY_LABEL = "(default for all workspaces)"


class WorkspacePolicyQuerySet(models.QuerySet["WorkspacePolicy", "WorkspacePolicy"]):
    def for_key(self, key: str) -> WorkspacePolicy | None:
        """Return the policy in force for ``key``: its own, else the default one, else None."""
        policies = {policy.workspace_key: policy for policy in self.filter(workspace_key__in=[key, ""])}
        return policies.get(key) or policies.get("")


class WorkspacePolicy(models.Model):
    """What a workspace requires of the people who call its API: MFA, SSO, or neither.

    ``workspace_key`` refers to the host's workspace by key, so the app never depends on a host
    model; an empty key is the default policy for every workspace without its own.
    """

    workspace_key = models.CharField(
        "workspace",
        max_length=100,
        blank=True,
        help_text="The workspace's key. Leave empty for the default policy of all workspaces.",
    )
    require_mfa = models.BooleanField("require MFA", default=False)
    mfa_enforced_from = models.DateTimeField(
        "enforce MFA from",
        null=True,
        blank=True,
        help_text="Grace period: before this moment non-compliant requests pass with a warning header.",
    )
    require_sso = models.BooleanField("require SSO", default=False)
    break_glass_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text="Users allowed past SSO when the identity provider is down. Every use is recorded.",
    )
    exempt_service_accounts = models.BooleanField(
        default=True, help_text="Service-account credentials pass MFA and SSO requirements."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspacePolicyQuerySet.as_manager()

    class Meta:
        verbose_name = "workspace security policy"
        verbose_name_plural = "workspace security policies"
        ordering = ["workspace_key"]
        constraints = [
            models.UniqueConstraint(fields=["workspace_key"], name="causeloop_policy_one_per_workspace"),
            models.CheckConstraint(
                condition=models.Q(mfa_enforced_from__isnull=True) | models.Q(require_mfa=True),
                name="causeloop_policy_grace_needs_mfa",
            ),
        ]

    def __str__(self) -> str:
        return self.workspace_key or DEFAULT_POLICY_LABEL

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.workspace_key:
            problem = workspaces.key_problem(self.workspace_key)
            if problem:
                errors["workspace_key"] = problem
        if self.mfa_enforced_from and not self.require_mfa:
            errors["mfa_enforced_from"] = "An MFA enforcement date needs “Require MFA” ticked."
        if errors:
            raise ValidationError(errors)
