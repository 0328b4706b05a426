"""Write the audit repeats every process has left in the shared cache to their rows, now.

Requests write repeats once per ``AUDIT_FLUSH_SECONDS`` while traffic lasts; run this from cron (every minute,
say) so the counts of a flood that stopped are in the database without waiting for the next request.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.utils import timezone

from causeloop_errors.audit_repeats import COUNTER_TIMEOUT, add_to_counter, repeats, take_counts, write_counts
from causeloop_errors.conf import app_settings
from causeloop_errors.models import AuditEvent

BATCH = 500


class Command(BaseCommand):
    help = "Write the audit repeats counted in the shared cache (AUDIT_FLUSH_SECONDS) to their events now."

    def handle(self, *args: Any, **options: Any) -> None:
        repeats.flush(force=True)  # this process's own, if any
        recent = timezone.now() - timedelta(seconds=COUNTER_TIMEOUT + app_settings.AUDIT_DEDUP_SECONDS)
        digests = list(
            AuditEvent.objects.filter(dedup_key__isnull=False, created_at__gte=recent).values_list(
                "dedup_key", flat=True
            )
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
