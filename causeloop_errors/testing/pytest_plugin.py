"""pytest plugin of causeloop_errors, loaded through the ``pytest11`` entry point.

Loaded in every pytest run of a project that installs the package, so it imports nothing from Django at import
time. Its one autouse fixture does nothing unless Django is set up with ``causeloop_errors`` installed; the
others need Django settings only when a test uses them (and skip without them, as pytest-django's do).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


def _require_django() -> None:
    from django.conf import settings

    if not settings.configured:
        pytest.skip("no Django settings")


@pytest.fixture(autouse=True)
def _causeloop_errors_fresh_snapshots() -> Iterator[None]:
    """Start and end every test with the rules and policies of the database, not those a rolled-back test saw.

    A test that saves a rule or a policy never commits, so no other process would hear of it, and this one keeps
    its snapshot; forgetting snapshots costs nothing until a request reads them again.
    """
    forget = _snapshot_forgetter()
    forget()
    yield
    forget()


def _snapshot_forgetter() -> Callable[[], None]:
    from django.apps import apps
    from django.conf import settings

    if not settings.configured or not apps.ready or not apps.is_installed("causeloop_errors"):
        return lambda: None
    from causeloop_errors.versioning import forget_snapshots

    return forget_snapshots


@pytest.fixture
def error_client() -> Any:
    """Return Django's test client answering server errors with their response (the 500 envelope), not raising."""
    _require_django()
    from django.test import Client

    return Client(raise_request_exception=False)


@pytest.fixture
def api_error_client() -> Any:
    """Return DRF's ``APIClient`` answering server errors with their response, not raising."""
    _require_django()
    from rest_framework.test import APIClient

    return APIClient(raise_request_exception=False)
