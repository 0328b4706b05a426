"""The example API over a real socket: the envelope, its headers and a token, as an HTTP client sees them."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message
from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(url: str, body: Any = None) -> tuple[int, Message, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, json.loads(error.read())


def test_an_unknown_url_is_a_json_not_found_envelope_traced_by_its_header(live_server: Any) -> None:
    status, headers, body = fetch(f"{live_server.url}/api/nope")

    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert body["error"]["code"] == "not_found"
    assert headers["X-Request-Id"] == body["error"]["trace_id"]


def test_an_unexpected_error_is_a_500_envelope_without_the_secret(live_server: Any) -> None:
    status, headers, body = fetch(f"{live_server.url}/api/demo/fail")

    assert status == 500
    assert body == {
        "error": {"code": "internal_error", "message": "Unexpected server error.", "trace_id": headers["X-Request-Id"]}
    }


def test_a_token_request_succeeds_and_is_traced(live_server: Any, demo_user: Any) -> None:
    grant = {"username": "alice", "password": "demo-password", "workspace": "acme"}

    status, headers, body = fetch(f"{live_server.url}/auth/token", grant)

    assert status == 200
    assert body["token_type"] == "Bearer"
    assert headers["X-Request-Id"]


def test_a_missing_token_is_a_401_with_a_bearer_challenge(live_server: Any) -> None:
    status, headers, body = fetch(f"{live_server.url}/api/issues")

    assert status == 401
    assert body["error"]["code"] == "unauthorized"
    assert headers["WWW-Authenticate"] == 'Bearer realm="api"'
