"""``manage.py seed_demo``: the demo's workspaces and users; running it again changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from example_project.demo.models import Membership, Workspace

PASSWORD = "demo-password"
WORKSPACES = {"acme": "Acme Corp", "globex": "Globex Corporation", "initech": "Initech"}
MEMBERS = ("alice", "bob")
ADMIN = "admin"


class Command(BaseCommand):
    help = "Create the demo workspaces (acme, globex, initech) and users (alice, bob, admin); idempotent."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = [
            Workspace.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in WORKSPACES.items()
        ]
        created_users = [name for name in (*MEMBERS, ADMIN) if self._ensure_user(name)]
        created_memberships = 0
        for username in MEMBERS:
            user = get_user_model().objects.get(username=username)
            for workspace in workspaces:
                created_memberships += Membership.objects.get_or_create(user=user, workspace=workspace)[1]
        self.stdout.write(
            f"Workspaces: {', '.join(WORKSPACES)}. Users: {', '.join(MEMBERS)} (members of every workspace) "
            f"and {ADMIN} (staff superuser), password {PASSWORD!r}.\n"
            f"Created now: {len(created_users)} users, {created_memberships} memberships."
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
