"""The example API's data: workspaces and their members, API tokens, issues, service accounts, connectors.

Invariants live in named constraints; lookups that views and authentication need live on managers.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

ISSUE_ID_PREFIX = "iss_"
ISSUE_ID = re.compile(r"iss_[0-9a-z]{8}")
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_CONFIG_KEYS = frozenset({"api_key"})


def new_issue_id() -> str:
    """Return a fresh public issue id: ``iss_`` and 8 lowercase base36 characters."""
    return ISSUE_ID_PREFIX + "".join(secrets.choice(_BASE36) for _ in range(8))


class Severity(models.TextChoices):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Scope(models.TextChoices):
    READ = "read"
    READ_WRITE = "read_write"


class WorkspaceManager(models.Manager["Workspace"]):
    def of_member(self, user: Any, slug: str) -> Workspace | None:
        """Return the workspace ``slug`` if ``user`` is a member of it; unknown and foreign look the same."""
        return self.filter(slug=slug, memberships__user=user).first()


class Workspace(models.Model):
    slug = models.SlugField(max_length=50, db_index=False)  # the unique constraint indexes it
    name = models.CharField(max_length=100)

    objects = WorkspaceManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["slug"], name="demo_workspace_unique_slug")]

    def __str__(self) -> str:
        return self.slug


def workspace_members(key: str) -> models.QuerySet[Any]:
    """Return the users who are members of workspace ``key`` (``CAUSELOOP_ERRORS["WORKSPACE_MEMBERS"]``)."""
    return get_user_model().objects.filter(demo_memberships__workspace__slug=key)


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "workspace"], name="demo_membership_unique_member")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace}"


class ApiTokenManager(models.Manager["ApiToken"]):
    def usable(self, digest: str) -> ApiToken | None:
        """Return the unexpired token with ``digest`` whose active user is still a member of its workspace."""
        return (
            self.select_related("user", "workspace")
            .filter(
                digest=digest,
                expires_at__gt=timezone.now(),
                user__is_active=True,
                user__demo_memberships__workspace=models.F("workspace"),
            )
            .first()
        )


class ApiToken(models.Model):
    """A bearer token; only the SHA-256 digest of the secret is stored."""

    digest = models.CharField(max_length=64, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="demo_api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ_WRITE)
    amr = models.JSONField(default=list, help_text="RFC 8176 methods the token was minted with: pwd, otp, sso.")
    is_service_account = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = ApiTokenManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["digest"], name="demo_apitoken_unique_digest"),
            models.CheckConstraint(condition=models.Q(scope__in=Scope.values), name="demo_apitoken_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} token of {self.user} in {self.workspace}"

    @property
    def workspace_key(self) -> str:
        """The workspace's slug: the key causeloop_errors resolves the workspace policy by."""
        return self.workspace.slug


class IssueManager(models.Manager["Issue"]):
    def in_workspace(self, workspace: Workspace) -> models.QuerySet[Issue]:
        """Return the issues of ``workspace``, newest first."""
        return self.filter(workspace=workspace).order_by("-created", "-pk")

    def find(self, workspace: Workspace, public_id: str) -> Issue | None:
        """Return the issue ``public_id`` of ``workspace``; an issue of another workspace is not found.

        An id that cannot exist (wrong shape, a NUL byte PostgreSQL would refuse) is not looked up.
        """
        if not ISSUE_ID.fullmatch(public_id):
            return None
        return self.filter(workspace=workspace, public_id=public_id).first()


class Issue(models.Model):
    public_id = models.CharField(max_length=12, default=new_issue_id, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="issues")
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    created = models.DateTimeField(auto_now_add=True)

    objects = IssueManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["public_id"], name="demo_issue_unique_public_id"),
            models.CheckConstraint(condition=models.Q(severity__in=Severity.values), name="demo_issue_severity_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.title}"


class ServiceAccount(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="service_accounts")
    name = models.CharField(max_length=100)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="demo_serviceaccount_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} in {self.workspace}"


class ConnectorManager(models.Manager["Connector"]):
    def create_without_secrets(self, *, config: dict[str, Any], **fields: Any) -> Connector:
        """Create a connector, dropping the secret keys of ``config``: they are never stored in clear."""
        public = {key: value for key, value in config.items() if key not in SECRET_CONFIG_KEYS}
        return self.create(config=public, **fields)


class Connector(models.Model):
    """An integration of a workspace; its ``config`` never holds secrets (see ``SECRET_CONFIG_KEYS``)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="connectors")
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=32)
    config = models.JSONField(default=dict)
    tags = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)

    objects = ConnectorManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="demo_connector_unique_name")]

    def __str__(self) -> str:
        return f"{self.type} connector {self.name} in {self.workspace}"
