"""The rate-limit rule: at most so many requests per window, for the requests it covers."""

from __future__ import annotations

import ipaddress
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

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
