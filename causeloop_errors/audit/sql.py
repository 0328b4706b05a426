"""The one statement that adds repeats to audit rows: SQL text built once per database, run in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from django.db import connections, router, transaction
from django.utils import timezone

REPEAT_COLUMNS = ("occurrences", "last_seen_at", "last_trace_id", "dedup_key")


def write_counts(counts: dict[str, int], latest: dict[str, tuple[str, float]]) -> list[str]:
    """Add ``counts`` to their rows in one transaction; return the digests that have no row.

    ``latest`` gives, per digest, the trace id and time of its latest repeat (without it: now, and the trace id
    the row has).
    """
    from causeloop_errors.audit.models import AuditEvent

    alias = router.db_for_write(AuditEvent)
    connection = connections[alias]
    now = timezone.now()
    missing = []
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        for digest, n in counts.items():
            trace_id, seen = latest.get(digest, (None, None))
            when = datetime.fromtimestamp(seen, tz=UTC) if seen is not None else now
            parameters = [n, connection.ops.adapt_datetimefield_value(when), trace_id, digest]
            cursor.execute(_update_sql(alias), parameters)
            if cursor.rowcount == 0:
                missing.append(digest)
    return missing


@cache
def _update_sql(alias: str) -> str:
    """The UPDATE for the database ``alias`` (built through the ORM per repeat it cost as much as a request)."""
    from causeloop_errors.audit.models import AuditEvent

    quote = connections[alias].ops.quote_name
    columns = {field.name: quote(str(field.column)) for field in AuditEvent._meta.concrete_fields}
    occurrences, seen, trace, key = (columns[name] for name in REPEAT_COLUMNS)
    return (
        f"UPDATE {quote(AuditEvent._meta.db_table)} SET {occurrences} = {occurrences} + %s, {seen} = %s, "
        f"{trace} = COALESCE(%s, {trace}) WHERE {key} = %s"
    )
