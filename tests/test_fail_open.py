"""The app's own machinery fails open and loudly: stamps, stores and the database's outages are never a 500.

The end-to-end versions, against a Redis and a PostgreSQL of their own that are stopped and paused, are in
``test_outages.py``; these pin each piece with a cache that raises (``tests.faulty_cache``) and database errors.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.checks import CheckMessage
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError, OperationalError, ProgrammingError
from django.test import Client

from causeloop_errors import faults, versioning
from causeloop_errors.audit import checks as audit_checks
from causeloop_errors.exceptions import ServiceUnavailable
from causeloop_errors.policies import checks as policy_checks
from causeloop_errors.policies import store as policies
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import Policy, PolicyStore
from causeloop_errors.ratelimits import checks as rule_checks
from causeloop_errors.ratelimits import store as rules
from causeloop_errors.ratelimits.models import RateLimitRule
from causeloop_errors.ratelimits.store import RuleStore
from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.usefixtures("app_defaults")]


class Clock:
    """Stands in for the ``time`` module of ``versioning`` and ``faults`` (they only call ``monotonic``)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    for module in (versioning, faults):
        monkeypatch.setattr(module, "time", clock)
    return clock


@pytest.fixture
def shared_cache(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "tests.shared_cache.SharedLocMemCache"}}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "causeloop_errors" and r.levelno == logging.WARNING]


# --- the version stamp -----------------------------------------------------------------------------------------


def test_a_failing_cache_leaves_the_stamp_as_last_known_and_warns_once_a_minute(
    shared_cache: None, settings: Any, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    stamp = versioning.VersionStamp("test:stamp")
    known = stamp.current()
    settings.CACHES = {"default": {"BACKEND": "tests.faulty_cache.FaultyCache"}}

    seen = []
    for _ in range(30):  # 30 s of requests, every 0.5 s + the 5 s back-off
        clock.now += 1
        seen.append(stamp.current())

    assert set(seen) == {known}
    assert len(_warnings(caplog)) == 1
    assert "reading the version stamp" in _warnings(caplog)[0]


def test_a_bump_the_cache_refused_is_seen_at_once_here_and_published_once_the_cache_is_back(
    shared_cache: None, settings: Any, clock: Clock
) -> None:
    here, elsewhere = versioning.VersionStamp("test:stamp"), versioning.VersionStamp("test:stamp")
    before = elsewhere.current()
    here.current()
    settings.CACHES = {"default": {"BACKEND": "tests.faulty_cache.FaultyCache"}}
    old = here.current()

    here.bump()

    assert here.current() != old  # this process obeys its own change on its next request
    settings.CACHES = {"default": {"BACKEND": "tests.shared_cache.SharedLocMemCache"}}
    clock.now += faults.CACHE_BACKOFF_SECONDS
    here.current()  # the next check publishes the bump the cache refused
    clock.now += 1
    assert elsewhere.current() != before


def test_a_stamp_is_read_once_per_interval_and_a_change_elsewhere_is_seen_after_it(
    shared_cache: None, clock: Clock
) -> None:
    here, elsewhere = versioning.VersionStamp("test:stamp"), versioning.VersionStamp("test:stamp")
    seen = elsewhere.current()

    here.bump()

    clock.now += 0.25
    versioning.refresh_due_stamps()
    assert elsewhere.current() == seen  # within CONFIG_CHECK_SECONDS: not read again
    clock.now += 0.25
    assert elsewhere.current() == seen  # due, but a request does not wait for it while the process is busy
    versioning.refresh_due_stamps()  # after the response: read
    assert elsewhere.current() != seen


def test_a_process_idle_for_two_intervals_reads_the_stamp_before_its_next_request(
    shared_cache: None, clock: Clock
) -> None:
    here, elsewhere = versioning.VersionStamp("test:stamp"), versioning.VersionStamp("test:stamp")
    seen = elsewhere.current()

    here.bump()

    clock.now += 1.0
    assert elsewhere.current() != seen


# --- the stores ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_rule_store_keeps_its_rules_when_the_database_fails(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    RateLimitRule.objects.create(name="kept", rate="5/m")
    store = RuleStore()
    assert [rule.name for rule in store.rules()] == ["kept"]

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(rules, "read_rows", down)
    rules.stamp.bump()

    assert [rule.name for rule in store.rules()] == ["kept"]
    assert [rule.name for rule in store.rules()] == ["kept"]
    assert len(_warnings(caplog)) == 1
    assert "keeping the 1 rules last read" in _warnings(caplog)[0]


@pytest.mark.django_db
def test_a_missing_rule_table_reads_as_no_rule_and_says_to_migrate(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise ProgrammingError('relation "causeloop_ratelimits_ratelimitrule" does not exist')

    monkeypatch.setattr(rules, "read_rows", missing)
    monkeypatch.setattr(rules, "table_missing", lambda model: True)

    assert RuleStore().rules() == ()
    assert "run manage.py migrate" in _warnings(caplog)[0]


@pytest.mark.django_db
def test_the_policy_store_keeps_a_known_policy_and_refuses_to_guess_an_unknown_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store = PolicyStore()
    assert store.get("acme") == Policy("acme", require_mfa=True)

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(policies, "read_rows", down)
    policies.stamp.bump()

    assert store.get("acme") == Policy("acme", require_mfa=True)
    with pytest.raises(ServiceUnavailable) as refused:  # a policy is never assumed away
        store.get("globex")
    assert refused.value.headers == {"Retry-After": "5"}
    with pytest.raises(ServiceUnavailable):  # for a few seconds without waiting on the database again
        store.get("initech")


@pytest.mark.django_db
def test_a_missing_policy_table_holds_no_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise ProgrammingError('relation "causeloop_policies_workspacepolicy" does not exist')

    monkeypatch.setattr(policies, "read_rows", missing)
    monkeypatch.setattr(policies, "table_missing", lambda model: True)

    assert PolicyStore().get("acme") is None


@pytest.mark.django_db
def test_a_failed_read_inside_the_requests_transaction_leaves_that_transaction_usable() -> None:
    from django.db import connection, transaction

    from causeloop_errors.snapshots import read_rows

    with transaction.atomic():
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            read_rows(RateLimitRule, lambda: cursor.execute("SELECT * FROM causeloop_errors_no_such_table"))
        assert RateLimitRule.objects.count() == 0  # on PostgreSQL, an aborted transaction would refuse this


# --- the database ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/raise/database_down", "/api/plain/raise/database_down"])
def test_a_database_that_is_down_or_locked_is_503_with_retry_after_not_500(
    client: Client, path: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tests import core_views

    monkeypatch.setitem(core_views.RAISERS, "database_down", lambda: OperationalError("database is locked"))

    response = client.get(path)

    error = assert_envelope(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"
    assert error["details"] == {"retry_after": 5}
    assert "locked" not in response.content.decode()  # the database's words stay in the log
    assert any("the database failed: database is locked" in message for message in _warnings(caplog))


@pytest.mark.django_db
@pytest.mark.parametrize("message", ["no such table: demo_issue", 'column "nope" does not exist'])
def test_a_wrong_query_is_still_an_unexpected_500_reported_as_one(
    client: Client, message: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from tests import core_views

    monkeypatch.setitem(core_views.RAISERS, "database_down", lambda: OperationalError(message))

    assert_envelope(client.get("/api/raise/database_down"), 500, "internal_error")
    assert any(record.levelno == logging.ERROR and record.exc_info for record in caplog.records)


def _tables_checks() -> list[CheckMessage]:
    return policy_checks.check_tables() + rule_checks.check_tables() + audit_checks.check_tables()


def test_the_tables_check_says_to_migrate_when_a_table_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    monkeypatch.setattr(connections["default"].introspection, "table_names", lambda *args, **kwargs: ["auth_user"])

    errors = _tables_checks()
    assert [error.id for error in errors] == ["causeloop_errors.E006"] * 3  # one per feature app
    assert all("migrate" in (error.hint or "") for error in errors)
    assert "causeloop_audit_auditevent" in errors[2].msg


@pytest.mark.django_db  # migrate's own checks read the database (JSONField support)
def test_the_tables_check_stands_aside_while_migrate_runs_its_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management.commands.migrate import Command as Migrate
    from django.db import connections

    monkeypatch.setattr(connections["default"].introspection, "table_names", lambda *args, **kwargs: [])
    seen = []

    def handle(self: Migrate, *args: Any, **options: Any) -> None:
        seen.append("handled")  # reached: the checks before it did not stop the command

    monkeypatch.setattr(Migrate, "handle", handle)
    call_command("migrate", skip_checks=False, verbosity=0)

    assert seen == ["handled"]


def test_manage_py_check_fails_with_e006_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    monkeypatch.setattr(connections["default"].introspection, "table_names", lambda *args, **kwargs: [])

    with pytest.raises(SystemCheckError, match="E006"):
        call_command("check")


def test_the_tables_check_is_silent_when_the_database_cannot_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["default"].introspection, "table_names", unreachable)

    assert _tables_checks() == []


@pytest.mark.django_db
def test_the_tables_check_passes_on_a_migrated_database() -> None:
    assert _tables_checks() == []


@pytest.mark.django_db
def test_audit_writes_the_database_refuses_are_one_warning_a_minute_not_an_error_per_request(
    client: Client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from causeloop_errors.audit.models import AuditEvent

    def locked(**fields: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(AuditEvent.objects, "create", locked)

    for n in range(5):
        assert_envelope(client.get("/api/audit/fail/unauthorized", REMOTE_ADDR=f"203.0.113.{n}"), 401, "unauthorized")

    [warning] = _warnings(caplog)
    assert warning == "Could not write the audit event auth.unauthorized: database is locked"
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_shared_cache_that_cannot_count_exactly_is_a_warning(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}}

    [warning] = audit_checks.check_shared_cache()

    assert warning.id == "causeloop_errors.W004"
    settings.CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    assert audit_checks.check_shared_cache() == []
