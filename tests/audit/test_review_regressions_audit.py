"""Defects a second review found in the audit write path and in negotiation, each fixed; one test per defect."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import RequestFactory

from causeloop_errors.audit import writer as audit
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.styles import style_for
from causeloop_errors.styles.problem import ProblemStyle

INT_MAX = 2**31 - 1  # PostgreSQL's integer: one more occurrence makes the UPDATE fail on the server


def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL aborts a transaction on a failed statement")


def _row_at_the_limit(dedup: str) -> None:
    audit.record("auth.forbidden", code="forbidden", status=403, dedup=dedup)
    AuditEvent.objects.filter(dedup_key=audit._digest(dedup)).update(occurrences=INT_MAX)


# --- audit: the UPDATE outside a savepoint ------------------------------------------------------------------------


@pytest.fixture
def manual_transaction() -> Iterator[None]:
    """Run the test with autocommit off and no atomic block, as code managing its own transaction does."""
    transaction.set_autocommit(False)
    try:
        yield
    finally:
        transaction.rollback()
        transaction.set_autocommit(True)


@pytest.mark.django_db(transaction=True)
def test_a_failing_repeat_never_spoils_a_transaction_the_caller_manages_by_hand(manual_transaction: None) -> None:
    _postgresql_only()
    _row_at_the_limit("at-the-limit")
    transaction.commit()
    assert not connection.in_atomic_block and not connection.get_autocommit()

    audit.record("auth.forbidden", code="forbidden", status=403, dedup="at-the-limit")  # fails, logged

    assert AuditEvent.objects.count() == 1  # the caller's transaction still answers


# --- audit: a router sending AuditEvent to another alias ----------------------------------------------------------


class AuditElsewhere:
    """Send the audit trail to the alias ``audit``."""

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        return "audit" if model is AuditEvent else None

    db_for_read = db_for_write


@pytest.fixture
def audit_alias(settings: Any) -> Iterator[None]:
    """Add the alias ``audit`` (a second connection to the test database) and route AuditEvent to it."""
    connections.settings["audit"] = dict(connections["default"].settings_dict)
    connections["audit"].connect()  # opened here: the test case refuses to open connections it was not told of
    settings.DATABASE_ROUTERS = [f"{__name__}.AuditElsewhere"]
    try:
        yield
    finally:
        connections["audit"].close()
        del connections["audit"]
        del connections.settings["audit"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("audit_alias")
def test_a_failing_write_routed_to_another_alias_never_spoils_the_transaction_there() -> None:
    _postgresql_only()
    _row_at_the_limit("routed")

    with transaction.atomic(using="audit"):
        audit.record("auth.forbidden", code="forbidden", status=403, dedup="routed")  # fails, logged
        assert AuditEvent.objects.using("audit").count() == 1  # the transaction on "audit" still answers


# --- negotiation ------------------------------------------------------------------------------------------------


def test_a_client_refusing_json_but_accepting_application_wildcard_gets_problem_details(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "STYLE": "causeloop", "NEGOTIATE_PROBLEM_DETAILS": True}
    request = RequestFactory().get("/api/x", HTTP_ACCEPT="application/*, application/json;q=0")

    assert isinstance(style_for(request), ProblemStyle)
