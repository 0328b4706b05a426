"""``manage.py seed_demo``: the demo's workspaces, users, policies, rate-limit rule and alice's TOTP device.

Running it again changes nothing: what exists, an administrator's edits included, is left alone.
"""

from __future__ import annotations

from base64 import b32encode
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.ratelimits.models import RateLimitRule
from example_project.demo.models import Membership, Workspace

PASSWORD = "demo-password"
WORKSPACES = {"acme": "Acme Corp", "globex": "Globex Corporation", "initech": "Initech"}
MEMBERS = ("alice", "bob")
ADMIN = "admin"
# initech has no policy: it stays open.
POLICIES = {"acme": {"require_mfa": True}, "globex": {"require_sso": True}}
# The credential endpoints: at most 10 requests a minute per client IP, refused before any password check.
RATE_LIMIT_RULES = {
    "auth-ip": {
        "rate": "10/m",
        "key": RateLimitRule.Key.IP,
        "path_prefix": "/auth/",
        "mode": RateLimitRule.Mode.ENFORCE,
    }
}
ENROLLED = "alice"
DEVICE_NAME = "default"


class Command(BaseCommand):
    help = (
        "Create the demo workspaces (acme, globex, initech), users (alice, bob, admin), the policies "
        "(acme requires MFA, globex SSO), the rate-limit rule auth-ip (10/m per client IP on /auth/) and "
        "alice's TOTP device, whose key it prints; idempotent."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = [
            Workspace.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in WORKSPACES.items()
        ]
        created_users = [name for name in (*MEMBERS, ADMIN) if self._ensure_user(name)]
        created_memberships = 0
        # staff superuser, so it has causeloop_audit.view_auditevent: reads the audit trail over the API
        admin = get_user_model().objects.get(username=ADMIN)
        initech = next(workspace for workspace in workspaces if workspace.slug == "initech")
        created_memberships += Membership.objects.get_or_create(user=admin, workspace=initech)[1]
        for username in MEMBERS:
            user = get_user_model().objects.get(username=username)
            for workspace in workspaces:
                created_memberships += Membership.objects.get_or_create(user=user, workspace=workspace)[1]
        # An existing policy is left as an administrator last saved it.
        created_policies = sum(
            WorkspacePolicy.objects.get_or_create(workspace_key=key, defaults=fields)[1]
            for key, fields in POLICIES.items()
        )
        # Likewise an existing rule (its rate, mode, enabled flag...) is left as an administrator last saved it.
        seeded = [
            RateLimitRule.objects.get_or_create(name=name, defaults=fields) for name, fields in RATE_LIMIT_RULES.items()
        ]
        created_rules = sum(created for _, created in seeded)
        rules = "; ".join(_describe(rule) for rule, _ in seeded)
        device, created_device = self._ensure_device(get_user_model().objects.get(username=ENROLLED))
        self.stdout.write(
            f"Workspaces: {', '.join(WORKSPACES)}. Users: {', '.join(MEMBERS)} (members of every workspace) "
            f"and {ADMIN} (staff superuser, member of initech), password {PASSWORD!r}.\n"
            "Policies: acme requires MFA, globex requires SSO, initech is open.\n"
            f"Rate-limit rules: {rules}.\n"
            f"{ENROLLED}'s TOTP key (base32; printed because this is a demo, never print a real one): "
            f"{b32encode(device.bin_key).decode()}\n"
            f"Created now: {len(created_users)} users, {created_memberships} memberships, "
            f"{created_policies} policies, {int(created_device)} TOTP devices, {created_rules} rate-limit rules."
        )

    def _ensure_user(self, username: str) -> bool:
        """Create ``username`` unless it exists; an existing user, password included, is left alone."""
        users = get_user_model().objects
        if users.filter(username=username).exists():
            return False
        if username == ADMIN:
            users.create_superuser(username, f"{username}@example.com", PASSWORD)
        else:
            users.create_user(username, f"{username}@example.com", PASSWORD)
        return True

    def _ensure_device(self, user: Any) -> tuple[TOTPDevice, bool]:
        """Return the user's confirmed TOTP device, created unless one exists."""
        device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
        if device is not None:
            return device, False
        return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True), True


def _describe(rule: RateLimitRule) -> str:
    """Return the rule as it stands now, e.g. ``auth-ip (10/m per client IP) on /auth/, enforce``."""
    disabled = "" if rule.enabled else ", disabled"
    return f"{rule} on {rule.path_prefix or 'every path'}, {rule.mode}{disabled}"
