"""Models of the app: workspace security policies, rate-limit rules and audit events."""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

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


RATE_PATTERN = r"[1-9][0-9]*/(?:[1-9][0-9]*)?[smhd]"
_METHODS = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"}


def split_list(value: str) -> list[str]:
    """Return the items of a comma- or whitespace-separated admin field."""
    return [item for item in re.split(r"[\s,]+", value) if item]


class RateLimitRuleQuerySet(models.QuerySet["RateLimitRule", "RateLimitRule"]):
    def live(self) -> RateLimitRuleQuerySet:
        """Return the enabled rules (expiry is checked per request, so no reload is needed at expiry)."""
        return self.filter(enabled=True).select_related("overrides")


class RateLimitRule(models.Model):
    """At most ``rate`` requests per window, counted by django-ratelimit, for the requests the rule covers."""

    class Key(models.TextChoices):
        IP = "ip", "client IP"
        USER = "user", "user"
        TOKEN = "token", "token"
        WORKSPACE = "workspace", "workspace"
        USER_OR_IP = "user_or_ip", "user, or client IP when anonymous"

    class Mode(models.TextChoices):
        ENFORCE = "enforce", "enforce"
        OBSERVE = "observe", "observe (count and report, never block)"

    name = models.SlugField(max_length=100, unique=True)
    enabled = models.BooleanField(default=True)
    rate = models.CharField(
        max_length=20,
        help_text="django-ratelimit syntax: requests/period, e.g. 10/m, 5/s, 1000/h, 100/5m.",
        validators=[RegexValidator(f"^{RATE_PATTERN}$", "Enter a rate like 10/m, 5/s, 1000/h or 100/5m.")],
    )
    key = models.CharField("counted by", max_length=12, choices=Key.choices, default=Key.IP)
    methods = models.CharField(max_length=60, blank=True, help_text="e.g. POST, PUT. Empty: every method.")
    path_prefix = models.CharField(max_length=200, blank=True, help_text="e.g. /auth/")
    path_regex = models.CharField(max_length=200, blank=True, help_text="A regular expression searched in the path.")
    view_names = models.CharField(
        max_length=300, blank=True, help_text="DRF view class names or dotted paths, comma-separated."
    )
    throttle_scopes = models.CharField(max_length=200, blank=True, help_text="DRF throttle_scope values.")
    client_networks = models.CharField(
        max_length=300, blank=True, help_text="Only clients in these networks, e.g. 203.0.113.0/24. Empty: all."
    )
    workspace_key = models.CharField("workspace", max_length=100, blank=True, help_text="Empty: all workspaces.")
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.ENFORCE)
    fail_closed = models.BooleanField(
        default=False, help_text="When the cache fails: refuse with 503 (ticked) or let requests through (default)."
    )
    overrides = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="While this rule applies to a request, that rule does not (e.g. a higher rate for one office).",
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The rule stops applying at this moment.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = RateLimitRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(overrides=models.F("pk")), name="causeloop_rule_not_overriding_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rate} per {self.get_key_display()})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.path_regex:
            try:
                re.compile(self.path_regex)
            except re.error as exc:
                errors["path_regex"] = f"Not a valid regular expression: {exc}."
        unknown = {method.upper() for method in split_list(self.methods)} - _METHODS
        if unknown:
            errors["methods"] = f"Unknown HTTP methods: {', '.join(sorted(unknown))}."
        for network in split_list(self.client_networks):
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                errors["client_networks"] = f"Not an IP network: {network}."
        if self.overrides_id is not None and self.overrides_id == self.pk:
            errors["overrides"] = "A rule cannot override itself."
        if errors:
            raise ValidationError(errors)


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
