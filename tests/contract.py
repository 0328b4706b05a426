"""Assertions on the error contract shared by the core tests: the package's own test helpers."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponseBase

from causeloop_errors.testing.assertions import assert_error_envelope


def assert_envelope(response: HttpResponseBase, status: int, code: str, details: Any = ...) -> dict[str, Any]:
    """Assert ``response`` is the envelope with ``status`` and ``code``; return ``body["error"]``."""
    return assert_error_envelope(response, status, code, details)


def is_uuid(value: str) -> bool:
    """Return whether ``value`` is a canonical UUID string."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
