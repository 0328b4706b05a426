"""pytest plugin of causeloop_errors, loaded through the ``pytest11`` entry point.

Loaded in every pytest run of a project that installs the package, so it imports nothing from Django at import
time; its fixtures need Django settings only when a test uses them (and skip without them, as pytest-django's do).
"""

from __future__ import annotations

from typing import Any

import pytest


def _require_django() -> None:
    from django.conf import settings

    if not settings.configured:
        pytest.skip("no Django settings")


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
