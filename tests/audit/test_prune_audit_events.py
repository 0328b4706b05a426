"""``manage.py prune_audit_events``: retention in batches, a dry run, and its own run recorded as an event."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from causeloop_errors.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_request_in_flight")]


def _event(action: str, *, created_days_ago: float, seen_days_ago: float | None = None) -> AuditEvent:
    now = timezone.now()
    seen = created_days_ago if seen_days_ago is None else seen_days_ago
    return AuditEvent.objects.create(
        trace_id=f"trace-{action}",
        action=action,
        created_at=now - timedelta(days=created_days_ago),
        last_seen_at=now - timedelta(days=seen),
    )


@pytest.fixture
def events() -> dict[str, list[AuditEvent]]:
    """Five events last seen 91.5 to 95.5 days ago, and two recent ones (one created long ago, seen lately)."""
    old = [_event(f"auth.old{i}", created_days_ago=91.5 + i) for i in range(5)]
    recent = [
        _event("auth.recent", created_days_ago=10),
        _event("ratelimit.exceeded", created_days_ago=120, seen_days_ago=30),  # a flood still going on
    ]
    return {"old": old, "recent": recent}


def _prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_audit_events", *args, stdout=out)
    return out.getvalue()


def _remaining() -> set[str]:
    """Return the actions of the events left, other than the command's own."""
    return set(AuditEvent.objects.exclude(action="audit.pruned").values_list("action", flat=True))


def test_events_last_seen_over_90_days_ago_are_deleted_in_batches(events: dict[str, list[AuditEvent]]) -> None:
    with CaptureQueriesContext(connection) as queries:
        output = _prune("--older-than", "90d", "--batch-size", "2")

    deletes = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1
    assert output.startswith("Deleted 5 audit events older than ")
    assert _remaining() == {"auth.recent", "ratelimit.exceeded"}


def test_a_dry_run_deletes_nothing_and_prints_how_many_would_go(events: dict[str, list[AuditEvent]]) -> None:
    with CaptureQueriesContext(connection) as queries:
        output = _prune("--older-than", "90d", "--dry-run")

    assert not [query for query in queries.captured_queries if query["sql"].startswith("DELETE")]
    assert output.startswith("5 audit events older than ")
    assert "would be deleted (dry run)" in output
    assert len(_remaining()) == 7


@pytest.mark.parametrize("dry_run", [False, True])
def test_each_run_is_recorded_as_an_audit_pruned_event(events: dict[str, list[AuditEvent]], dry_run: bool) -> None:
    _prune("--older-than", "90d", *(["--dry-run"] if dry_run else []))

    event = AuditEvent.objects.get(action="audit.pruned")
    assert event.details["matched"] == 5
    assert event.details["dry_run"] is dry_run
    cutoff = datetime.fromisoformat(event.details["cutoff"])
    assert abs((timezone.now() - timedelta(days=90)) - cutoff) < timedelta(minutes=1)


@pytest.mark.parametrize("value", ["90", "90x", "0d", "-5d", "ninety days", "1.5d"])
def test_a_bad_duration_is_rejected_and_nothing_is_deleted(events: dict[str, list[AuditEvent]], value: str) -> None:
    with pytest.raises(CommandError, match="older-than"):
        _prune("--older-than", value)

    assert len(_remaining()) == 7
    assert not AuditEvent.objects.filter(action="audit.pruned").exists()


@pytest.mark.parametrize(("value", "kept"), [("12h", 0), ("30m", 0), ("93d", 4), ("20d", 1)])
def test_hours_minutes_and_days_are_understood(events: dict[str, list[AuditEvent]], value: str, kept: int) -> None:
    _prune("--older-than", value)

    assert len(_remaining()) == kept


def test_a_batch_size_below_one_is_rejected(events: dict[str, list[AuditEvent]]) -> None:
    with pytest.raises(CommandError, match="batch-size"):
        _prune("--older-than", "90d", "--batch-size", "0")
