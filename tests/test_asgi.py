"""The ASGI handler: Django's early refusals answered with the envelope, and ordinary requests through it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from django.test import override_settings

from causeloop_errors.asgi import ASGIHandler, get_asgi_application

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _no_atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)


async def _call(
    path: str, query_string: bytes = b"", body: bytes = b"", headers: list[Any] | None = None
) -> tuple[int, dict[str, str], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST" if body else "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    inbox = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await ASGIHandler()(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    content = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


def test_query_string_that_is_not_utf8_is_a_400_envelope_with_request_id() -> None:
    status, headers, content = async_to_sync(_call)("/api/ok", b"q=\xff")
    body = json.loads(content)
    assert status == 400 and headers["content-type"] == "application/json"
    assert body["error"]["code"] == "validation_error" and body["error"]["trace_id"] == headers["x-request-id"]
    assert "X-Request-Id" in headers["access-control-expose-headers"]


def test_refusals_outside_api_paths_keep_djangos_answer() -> None:
    status, headers, _ = async_to_sync(_call)("/pages/ok", b"q=\xff")
    assert status == 400 and not headers.get("content-type", "").startswith("application/json")


def test_ordinary_api_failures_through_asgi_are_envelopes() -> None:
    status, headers, content = async_to_sync(_call)("/api/missing")
    assert status == 404 and json.loads(content)["error"]["trace_id"] == headers["x-request-id"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_oversized_json_body_through_asgi_is_413() -> None:
    body = b'{"name": "' + b"x" * 100 + b'"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    status, _, content = async_to_sync(_call)("/api/validate", body=body, headers=headers)
    assert status == 413 and json.loads(content)["error"]["code"] == "payload_too_large"


def test_get_asgi_application_returns_the_apps_handler() -> None:
    assert isinstance(get_asgi_application(), ASGIHandler)
