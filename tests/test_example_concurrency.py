"""Duplicate service accounts under concurrent requests: the database decides, never a 500.

Truly concurrent on PostgreSQL. SQLite serialises writers, so there the same requests run one
after the other and the test still proves the savepoint turns the IntegrityError into a 409.
The demo's own server under twenty concurrent clients, on a SQLite file too, is
``tests/test_demo_server_concurrency.py``.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.db.models.signals import pre_save
from django.test import Client

from example_project.demo.models import ServiceAccount

CONCURRENT_REQUESTS = 4


def _create(headers: dict[str, str]) -> int:
    response = Client(raise_request_exception=False).post(
        "/api/service-accounts", json.dumps({"name": "ci-bot"}), content_type="application/json", headers=headers
    )
    return int(response.status_code)


def _create_in_thread(headers: dict[str, str]) -> int:
    try:
        return _create(headers)
    finally:
        connection.close()  # each thread has its own connection; the test database cannot drop an open one


def _concurrent_statuses(headers: dict[str, str]) -> list[int]:
    """Post the same name from several threads, all inside their request transaction before any inserts."""
    everyone_inside = threading.Barrier(CONCURRENT_REQUESTS)

    def wait_for_the_others(sender: Any, **kwargs: Any) -> None:
        everyone_inside.wait(timeout=10)

    pre_save.connect(wait_for_the_others, sender=ServiceAccount, dispatch_uid="test_concurrency_barrier")
    try:
        with ThreadPoolExecutor(CONCURRENT_REQUESTS) as pool:
            return list(pool.map(_create_in_thread, [headers] * CONCURRENT_REQUESTS))
    finally:
        pre_save.disconnect(sender=ServiceAccount, dispatch_uid="test_concurrency_barrier")


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_service_accounts_get_one_created_and_the_rest_conflict(
    demo_headers: dict[str, str],
) -> None:
    if connection.vendor == "postgresql":
        statuses = _concurrent_statuses(demo_headers)
    else:
        statuses = [_create(demo_headers), _create(demo_headers)]

    assert sorted(statuses) == [201] + [409] * (len(statuses) - 1)
    assert ServiceAccount.objects.filter(name="ci-bot").count() == 1
