"""Under `make test-services` the suite really runs on PostgreSQL and Redis, never silently on the defaults."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache, caches
from django.db import connection

from tests import services_preflight


@pytest.mark.django_db
def test_database_is_the_one_database_url_names() -> None:
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected


def test_cache_is_redis_when_redis_url_is_set() -> None:
    backend = type(caches["default"]).__name__
    assert backend == ("RedisCache" if os.environ.get("REDIS_URL") else "LocMemCache")
    cache.set("causeloop-services-probe", "ok", 5)
    assert cache.get("causeloop-services-probe") == "ok"


def test_preflight_fails_when_a_service_is_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:1/causeloop")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert services_preflight.main() == 1


def test_preflight_fails_when_urls_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert services_preflight.main() == 1
