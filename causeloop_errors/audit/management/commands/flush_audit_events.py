"""Write the audit repeats every process has left in the shared cache to their rows, now.

Requests write repeats once per ``AUDIT_FLUSH_SECONDS`` while traffic lasts; run this from cron (every minute,
say) so the counts of a flood that stopped are in the database without waiting for the next request. It looks
at the merged events written within ``--within`` (default a day); older ones have no counter left in the cache.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from causeloop_errors.audit.counters import add_to_counter, take_counts
from causeloop_errors.audit.management.commands.prune_audit_events import duration
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.audit.repeats import repeats
from causeloop_errors.audit.sql import write_counts
from causeloop_errors.conf import app_settings

BATCH = 500


class Command(BaseCommand):
    help = "Write the audit repeats counted in the shared cache (AUDIT_FLUSH_SECONDS) to their events now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--within", type=duration, default=timedelta(days=1), help="events written within this (default 1d)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        repeats.flush(force=True)  # this process's own, if any
        recent = timezone.now() - options["within"]
        digests = list(
            AuditEvent.objects.filter(Q(created_at__gte=recent) | Q(last_seen_at__gte=recent), dedup_key__isnull=False)
            .values_list("dedup_key", flat=True)
            .order_by()
        )
        shared = caches[app_settings.POLICY_CACHE_ALIAS]
        events = occurrences = 0
        for start in range(0, len(digests), BATCH):
            counts = take_counts(shared, [str(digest) for digest in digests[start : start + BATCH]])
            if not counts:
                continue
            try:
                write_counts(counts, {})
            except Exception:
                for digest, n in counts.items():  # back where they were, for the next run
                    add_to_counter(shared, digest, n)
                raise
            events += len(counts)
            occurrences += sum(counts.values())
        where = django_settings.CACHES.get(app_settings.POLICY_CACHE_ALIAS, {}).get("BACKEND", "?")
        self.stdout.write(f"Wrote {occurrences} repeats to {events} audit events (counted in {where}).")
