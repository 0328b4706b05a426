"""Assertions on the error contract shared by the core tests."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponseBase

ERROR_MEMBERS = {"code", "message", "trace_id", "details", "field_errors"}


def assert_envelope(response: HttpResponseBase, status: int, code: str, details: Any = ...) -> dict[str, Any]:
    """Assert ``response`` is the envelope with ``status`` and ``code``; return ``body["error"]``."""
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert list(body) == ["error"], body
    error = body["error"]
    assert set(error) <= ERROR_MEMBERS, error
    assert {"code", "message", "trace_id"} <= set(error), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert response["X-Request-Id"] == error["trace_id"], (response["X-Request-Id"], error["trace_id"])
    if "details" in error:
        assert error["details"], "details present but empty"
    if details is not ...:
        assert error.get("details") == details, error.get("details")
    return error


def is_uuid(value: str) -> bool:
    """Return whether ``value`` is a canonical UUID string."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
