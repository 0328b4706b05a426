"""Delete audit events older than a retention period, in batches, and record the run itself as an event."""

from __future__ import annotations

import re
from argparse import ArgumentParser, ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from causeloop_errors.audit import writer as audit
from causeloop_errors.audit.models import AuditEvent

_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def positive(value: str) -> int:
    """Parse a whole number of at least 1."""
    if not value.isdigit() or int(value) < 1:
        raise ArgumentTypeError(f"{value!r} is not a whole number of at least 1")
    return int(value)


def duration(value: str) -> timedelta:
    """Parse ``90d``, ``12h`` or ``30m``."""
    match = re.fullmatch(r"([1-9][0-9]*)([dhm])", value)
    if match is None:
        raise ArgumentTypeError(f"{value!r} is not a duration like 90d, 12h or 30m")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Delete audit events older than --older-than (e.g. 90d), in batches; --dry-run only counts them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--older-than", type=duration, required=True)
        parser.add_argument("--batch-size", type=positive, default=1000)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - options["older_than"]
        old = AuditEvent.objects.filter(last_seen_at__lt=cutoff)
        if options["dry_run"]:
            count = old.count()
            self.stdout.write(f"{count} audit events older than {cutoff.isoformat()} would be deleted (dry run).")
        else:
            count = 0
            while batch := list(old.values_list("pk", flat=True)[: options["batch_size"]]):
                count += AuditEvent.objects.filter(pk__in=batch).delete()[0]
            self.stdout.write(f"Deleted {count} audit events older than {cutoff.isoformat()}.")
        details = {"cutoff": cutoff.isoformat(), "matched": count, "dry_run": options["dry_run"]}
        audit.record("audit.pruned", details=details)
