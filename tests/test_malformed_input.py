"""A corpus of malformed requests against the example API: each one answers with the envelope and its own status.

Invalid UTF-8, bodies in the wrong content type, 10,000 levels of nesting, huge numbers, a 10 MB body, header
injection in ``X-Request-Id``, ``X-Workspace``, ``Host`` and ``Authorization``, path traversal and broken
percent-encoding: never a 500, never HTML, never a header split, and the input only ever comes back inside a
JSON string. The last test sends what the test client cannot express (raw bytes in the request line and headers)
over a real socket and checks that the server keeps answering.
"""

from __future__ import annotations

import http.client
import json
import socket
from typing import Any, NamedTuple

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from example_project.demo import tokens
from tests.contract import assert_envelope, is_uuid

pytestmark = [pytest.mark.urls("example_project.urls"), pytest.mark.django_db]

MALFORMED_BODY = {"non_field_errors": "Malformed request body."}
MALFORMED_REQUEST = {"non_field_errors": "Malformed request."}
REQUIRED = "This field is required."
ALL_REQUIRED = {"username": REQUIRED, "password": REQUIRED, "workspace": REQUIRED}
NUL_REFUSED = "Null characters are not allowed."
BAD_TRACE_ID = "Not a well-formed trace id."
MARKUP = "<img src=x onerror=alert(1)>"
MALFORMED_WORKSPACE = {"workspace": "Not a well-formed workspace key."}
TEN_MB = 10 * 1024 * 1024
BEARER = 'Bearer realm="api"'
ANY = ...  # the case does not pin details


class Case(NamedTuple):
    """One malformed request and the answer the contract and the README give it."""

    method: str
    path: str
    status: int
    code: str
    details: Any = None
    body: bytes = b""
    content_type: str = "application/json"
    meta: dict[str, Any] = {}  # WSGI environ entries; a NamedTuple default, never mutated
    token: bool = False  # sent with a valid bearer token of alice in acme


def _nested(opening: bytes, closing: bytes, depth: int = 10_000, middle: bytes = b"") -> bytes:
    return opening * depth + middle + closing * depth


def _multipart_field(size: int) -> bytes:
    return b'--xx\r\nContent-Disposition: form-data; name="username"\r\n\r\n' + b"a" * size + b"\r\n--xx--\r\n"


def _grant(**fields: Any) -> bytes:
    return json.dumps({"username": "alice", "password": "wrong", "workspace": "acme", **fields}).encode()


def _config(raw_value: bytes) -> bytes:
    """Return a connector whose free-form ``config`` holds ``raw_value`` (raw JSON text)."""
    return b'{"name": "c", "connector": {"type": "github", "config": {"api_key": "k", "extra": ' + raw_value + b"}}}"


def token_post(
    body: bytes,
    status: int = 400,
    code: str = "validation_error",
    details: Any = MALFORMED_BODY,
    content_type: str = "application/json",
) -> Case:
    """``POST /auth/token``: public, so the body is parsed before any credential is checked."""
    return Case("POST", "/auth/token", status, code, details, body, content_type)


def audit_query(query_string: str, message: str) -> Case:
    """``GET /api/audit-events`` by staff with a raw (latin-1 decoded, as WSGI gives it) query string."""
    return Case(
        "GET",
        "/api/audit-events",
        400,
        "validation_error",
        {"trace_id": message},
        meta={"QUERY_STRING": query_string},
        token=True,
    )


def get(path: str, status: int = 404, code: str = "not_found", details: Any = None, token: bool = False) -> Case:
    return Case("GET", path, status, code, details, token=token)


def authorization(value: str) -> Case:
    return Case("GET", "/api/issues", 401, "unauthorized", meta={"HTTP_AUTHORIZATION": value})


def workspace(
    value: str, status: int = 400, code: str = "validation_error", details: Any = MALFORMED_WORKSPACE
) -> Case:
    """``GET /api/issues`` with a valid token and ``X-Workspace: value``."""
    return Case("GET", "/api/issues", status, code, details, meta={"HTTP_X_WORKSPACE": value}, token=True)


BODIES = {
    "json-invalid-utf8": token_post(b'{"username": "\xff\xfe"}'),
    "json-truncated-utf8": token_post(b'{"username": "\xe2\x82"}'),
    "json-utf8-bom": token_post(b"\xef\xbb\xbf" + _grant()),
    "json-utf16-with-bom": token_post(_grant().decode().encode("utf-16")),
    "json-nul-bytes": token_post(b"\x00\x00\x00\x00"),
    "json-raw-nul-in-string": token_post(b'{"username": "a\x00b"}'),
    "json-escaped-nul-in-field": token_post(_grant(username="a\x00b"), details={"username": NUL_REFUSED}),
    "json-as-text-plain": token_post(_grant(), 415, "unsupported_media_type", None, "text/plain"),
    "json-with-empty-content-type": token_post(_grant(), 415, "unsupported_media_type", None, ""),
    "json-as-octet-stream": token_post(_grant(), 415, "unsupported_media_type", None, "application/octet-stream"),
    "form-data-to-json-api": token_post(
        b"username=%ff%00&x=%zz",
        details={"username": NUL_REFUSED, "password": REQUIRED, "workspace": REQUIRED},
        content_type="application/x-www-form-urlencoded",
    ),
    "multipart-garbage": token_post(  # Django's parser skips what precedes the first boundary
        b"--xx\r\ngarbage\xff", details=ALL_REQUIRED, content_type="multipart/form-data; boundary=xx"
    ),
    "multipart-without-boundary": token_post(b"garbage", content_type="multipart/form-data"),
    "json-latin1-charset-garbage": token_post(b"\xff\xfe{\x00\x80", content_type="application/json; charset=latin-1"),
    "json-unknown-charset": token_post(b"\xff{", content_type="application/json; charset=x-nope"),
    "json-10000-open-brackets": token_post(b"[" * 10_000),
    "json-10000-nested-lists": token_post(_nested(b"[", b"]")),
    "json-10000-nested-objects": token_post(_nested(b'{"a":', b"}", middle=b"1")),
    "json-100000-digit-integer": token_post(b'{"username": ' + b"9" * 100_000 + b"}"),
    "json-nan-literal": token_post(b'{"username": NaN}'),
    "json-infinity-literal": token_post(b'{"username": Infinity}'),
    "json-minus-infinity-literal": token_post(b'{"username": -Infinity}'),
    "json-10mb": token_post(b'{"username": "' + b"a" * TEN_MB + b'"}', 413, "payload_too_large", None),
    "form-10mb": token_post(
        b"username=" + b"a" * TEN_MB, 413, "payload_too_large", None, "application/x-www-form-urlencoded"
    ),
    "multipart-field-10mb": token_post(
        _multipart_field(TEN_MB), 413, "payload_too_large", None, "multipart/form-data; boundary=xx"
    ),
    # Authentication comes before the body is read: a 10 MB body without a token is refused unread.
    "json-10mb-without-token": Case("POST", "/api/issues", 401, "unauthorized", None, b"[" + b" " * TEN_MB + b"]"),
    "json-choice-echo-is-json-escaped": token_post(
        _grant(scope=MARKUP), details={"scope": f'"{MARKUP}" is not a valid choice.'}
    ),
}

# Found by this corpus and fixed: each once answered 500 (or 409, or 201 on SQLite only).
UNSTORABLE = {
    "connector.config.extra": "Holds a value that cannot be stored: a number out of range, a NUL "
    "character or a lone surrogate."
}
ONCE_DEFECTS = {
    # DRF echoes the lone surrogate in its choice error; the body escapes it instead of failing to encode it.
    "json-lone-surrogate-echoed-in-choice-error": token_post(
        _grant()[:-1] + b', "scope": "\\ud800"}', details={"scope": '"\ud800" is not a valid choice.'}
    ),
    # Free-form connector config: 1e999999 is float("inf"), and PostgreSQL's jsonb refuses NUL and lone surrogates.
    "json-overflowing-number-in-config": Case(
        "POST", "/api/connectors", 400, "validation_error", UNSTORABLE, _config(b"1e999999"), token=True
    ),
    "json-lone-surrogate-in-config": Case(
        "POST", "/api/connectors", 400, "validation_error", UNSTORABLE, _config(b'"\\udcff"'), token=True
    ),
    "json-escaped-nul-in-config": Case(
        "POST", "/api/connectors", 400, "validation_error", UNSTORABLE, _config(b'"\\u0000"'), token=True
    ),
}

QUERIES = {
    "query-raw-invalid-utf8": audit_query("trace_id=\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", BAD_TRACE_ID),
    "query-percent-encoded-invalid-utf8": audit_query("trace_id=%ff%fe%fd%fc%fb%fa%f9%f8", BAD_TRACE_ID),
    "query-encoded-nul": audit_query("trace_id=abcdefgh%00", NUL_REFUSED),
    "query-invalid-percent-encoding": audit_query("trace_id=%zz%zz%zz%zz", BAD_TRACE_ID),
    "query-raw-invalid-utf8-name": audit_query("\xff=\xff", REQUIRED),
    "query-invalid-utf8-on-unknown-url": Case("GET", "/api/nope", 404, "not_found", meta={"QUERY_STRING": "q=\xff"}),
}

PATHS = {
    "path-dot-dot-to-admin": get("/api/../admin/"),
    "path-encoded-dot-dot": get("/api/%2e%2e/admin/"),
    "path-encoded-slash-traversal": get("/api/issues/..%2f..%2fetc%2fpasswd"),
    "path-encoded-nul": get("/api/%00"),
    "path-encoded-nul-as-issue-id": get("/api/issues/%00", details={"id": "\x00"}, token=True),
    "path-invalid-utf8": get("/api/issues/%ff%fe", details={"id": "%FF%FE"}, token=True),
    "path-truncated-utf8": get("/api/%e2%82"),
    "path-invalid-percent-encoding": get("/api/issues/%zz", details={"id": "%zz"}, token=True),
    "path-lone-percent": get("/api/%"),
    "path-markup-as-issue-id": get(f"/api/issues/{MARKUP}", details={"id": MARKUP}, token=True),
    "path-100000-characters": get("/api/" + "a" * 100_000),
    "path-unknown-method": Case("FOO", "/auth/token", 405, "method_not_allowed"),
}

HEADERS = {
    "authorization-bearer-10k": authorization("Bearer " + "a" * 10_000),
    "authorization-bearer-utf8": authorization("Bearer Ã©"),  # WSGI gives headers latin-1 decoded: UTF-8 "é"
    "authorization-bearer-three-parts": authorization("Bearer a b"),
    "authorization-bearer-nul": authorization("Bearer \x00"),
    "authorization-basic-bad-base64": authorization("Basic !!!not-base64"),
    "authorization-garbage": authorization("\xff" * 100),
    "workspace-crlf": workspace("acme\r\nSet-Cookie: pwned=1"),
    "workspace-sql": workspace("acme' OR '1'='1'; DROP TABLE demo_issue;--"),
    "workspace-10k": workspace("a" * 10_000),
    "workspace-unicode": workspace("ワークスペース"),
    "workspace-traversal": workspace("../admin"),
    "workspace-nul": workspace("acme\x00"),
    "workspace-empty": workspace(""),
    "workspace-unknown": workspace("nosuch", 404, "not_found", {"workspace": "nosuch"}),
    # Policies are not judged before authentication: an unauthenticated request is 401 whatever it names.
    "workspace-crlf-without-token": Case(
        "GET", "/api/issues", 401, "unauthorized", meta={"HTTP_X_WORKSPACE": "a\r\nb"}
    ),
    "host-disallowed": Case(
        "GET", "/api/issues", 400, "validation_error", MALFORMED_REQUEST, meta={"HTTP_HOST": "evil.example"}
    ),
    "host-crlf": Case(
        "GET",
        "/api/issues",
        400,
        "validation_error",
        MALFORMED_REQUEST,
        meta={"HTTP_HOST": "127.0.0.1\r\nX-Injected: 1"},
    ),
}


@pytest.fixture
def staff_token(demo_user: Any, demo_workspace: Any) -> str:
    """Return a token of alice, made staff allowed to view audit events, in ``acme`` (as the endpoint requires)."""
    demo_user.is_staff = True
    demo_user.save(update_fields=["is_staff"])
    demo_user.user_permissions.add(
        Permission.objects.get_by_natural_key("view_auditevent", "causeloop_audit", "auditevent")
    )
    return tokens.mint(demo_user, demo_workspace, amr=["pwd"]).secret


def send(client: Client, case: Case, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.generic(
        case.method, case.path, case.body, content_type=case.content_type, headers=headers, **case.meta
    )


def assert_safe_envelope(response: Any, case: Case) -> dict[str, Any]:
    """Assert the envelope of ``case``: strict JSON, no header split, a fresh trace id, nothing sniffable."""
    error = assert_envelope(response, case.status, case.code, case.details)
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    json.loads(response.content.decode("utf-8"), parse_constant=lambda name: pytest.fail(f"{name} in body"))
    assert is_uuid(response["X-Request-Id"])
    for name, value in response.items():
        assert "\r" not in value and "\n" not in value, (name, value)
    assert not response.has_header("X-Injected") and "pwned" not in response.cookies
    if case.status == 401:
        assert response["WWW-Authenticate"] == BEARER
    return error


def _params(cases: dict[str, Case]) -> list[Any]:
    return [pytest.param(case, id=name) for name, case in cases.items()]


@pytest.mark.parametrize("case", _params({**BODIES, **ONCE_DEFECTS, **PATHS, **HEADERS}))
def test_malformed_request_answers_with_its_envelope(
    api_client: Client, request: pytest.FixtureRequest, case: Case
) -> None:
    token = request.getfixturevalue("demo_token") if case.token else None

    assert_safe_envelope(send(api_client, case, token), case)


@pytest.mark.parametrize("case", _params(QUERIES))
def test_malformed_query_string_answers_with_its_envelope(api_client: Client, staff_token: str, case: Case) -> None:
    assert_safe_envelope(send(api_client, case, staff_token if case.token else None), case)


REQUEST_IDS = [
    "abc\r\nSet-Cookie: pwned=1",
    "abcdefgh\nX-Injected: 1",
    "a" * 10_000,
    "ünïcødé-request-id",
    "has spaces in it",
    "../../../etc/passwd",
    "%0d%0aX-Injected:%201",
    "short",
    "",
]


@pytest.mark.parametrize("trusted", [False, True], ids=["untrusted", "trusted"])
@pytest.mark.parametrize("incoming", REQUEST_IDS)
def test_an_invalid_incoming_request_id_is_replaced_by_a_fresh_one(
    api_client: Client, settings: Any, trusted: bool, incoming: str
) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "TRUST_REQUEST_ID_HEADER": trusted}

    response = api_client.get("/api/nope", HTTP_X_REQUEST_ID=incoming)

    error = assert_safe_envelope(response, Case("GET", "/api/nope", 404, "not_found"))
    assert error["trace_id"] != incoming
    assert not incoming or incoming not in response.content.decode()


def test_a_valid_incoming_request_id_is_adopted_only_when_trusted(api_client: Client, settings: Any) -> None:
    incoming = "edge-proxy:1234.abcd_EF"
    untrusted = api_client.get("/api/nope", HTTP_X_REQUEST_ID=incoming)
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "TRUST_REQUEST_ID_HEADER": True}

    trusted = api_client.get("/api/nope", HTTP_X_REQUEST_ID=incoming)

    assert is_uuid(untrusted["X-Request-Id"])
    assert assert_envelope(trusted, 404, "not_found")["trace_id"] == incoming


# --- over a real socket: raw bytes the test client cannot send ---


class Raw(NamedTuple):
    """A request sent as bytes: its first line, extra header lines, a body; and the expected answer."""

    line: bytes
    status: int
    code: str
    headers: bytes = b""
    body: bytes = b""


RAW_CASES = {
    "invalid-utf8-path": Raw(b"GET /api/\xff\xfe HTTP/1.1", 404, "not_found"),
    "dot-dot-to-admin": Raw(b"GET /api/../admin/ HTTP/1.1", 404, "not_found"),
    "encoded-traversal": Raw(b"GET /api/issues/..%2f..%2fetc%2fpasswd HTTP/1.1", 404, "not_found"),
    "encoded-nul": Raw(b"GET /api/%00 HTTP/1.1", 404, "not_found"),
    "invalid-percent-encoding": Raw(b"GET /api/%zz%ff%e2%82 HTTP/1.1", 404, "not_found"),
    "long-path": Raw(b"GET /api/" + b"a" * 4_000 + b" HTTP/1.1", 404, "not_found"),
    "invalid-utf8-query": Raw(b"GET /api/issues?q=\xff\xfe HTTP/1.1", 401, "unauthorized"),
    "invalid-utf8-request-id": Raw(
        b"GET /api/nope HTTP/1.1", 404, "not_found", b"X-Request-Id: \xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\r\n"
    ),
    "utf8-bearer": Raw(b"GET /api/issues HTTP/1.1", 401, "unauthorized", b"Authorization: Bearer \xc3\xa9\r\n"),
    "invalid-utf8-workspace": Raw(b"GET /api/issues HTTP/1.1", 401, "unauthorized", b"X-Workspace: \xff\r\n"),
    "invalid-utf8-json-body": Raw(
        b"POST /auth/token HTTP/1.1",
        400,
        "validation_error",
        b"Content-Type: application/json\r\n",
        b'{"username": "\xff"}',
    ),
    "deep-json-body": Raw(
        b"POST /auth/token HTTP/1.1", 400, "validation_error", b"Content-Type: application/json\r\n", b"[" * 10_000
    ),
}
# Refused by the server before Django sees them (a request line over 64 KiB, a request line that is not HTTP): the
# server's own answer, not the app's; only the server's survival is checked.
SERVER_REFUSALS = [b"GET /api/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", b"\xff\xfe\x00garbage\r\n\r\n"]


def send_bytes(address: tuple[str, int], data: bytes) -> bytes:
    """Send ``data`` as it is and return everything the server answers before it closes the connection."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def exchange(address: tuple[str, int], raw: Raw) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send ``raw`` with ``Host``, ``Connection: close`` and its ``Content-Length``; return status, headers, body."""
    length = b"Content-Length: %d\r\n" % len(raw.body) if raw.body else b""
    request = raw.line + b"\r\nHost: localhost\r\nConnection: close\r\n" + raw.headers + length + b"\r\n" + raw.body
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.headers, response.read()


def _envelope_problem(status: int, headers: http.client.HTTPMessage, content: bytes, raw: Raw) -> str | None:
    if (status, headers["Content-Type"]) != (raw.status, "application/json"):
        return f"{status} {headers['Content-Type']} {content[:120]!r}"
    error = json.loads(content)["error"]
    if error["code"] != raw.code or error["trace_id"] != headers["X-Request-Id"] or not is_uuid(error["trace_id"]):
        return f"{error} / X-Request-Id {headers['X-Request-Id']}"
    return None


@pytest.mark.django_db(transaction=True)
def test_raw_malformed_requests_over_a_socket_get_envelopes_and_the_server_keeps_answering(live_server: Any) -> None:
    address = (live_server.thread.host, live_server.thread.port)
    problems = {name: _envelope_problem(*exchange(address, raw), raw) for name, raw in RAW_CASES.items()}
    refusals = [send_bytes(address, data) for data in SERVER_REFUSALS]

    status, headers, content = exchange(address, Raw(b"GET /api/nope HTTP/1.1", 404, "not_found"))

    assert {name: problem for name, problem in problems.items() if problem} == {}
    assert refusals[0].startswith(b"HTTP/1.1 414")
    assert b"Bad request" in refusals[1]
    assert _envelope_problem(status, headers, content, Raw(b"", 404, "not_found")) is None


@pytest.mark.django_db(transaction=True)
def test_a_path_longer_than_path_max_over_a_socket_is_a_not_found_envelope(live_server: Any) -> None:
    raw = Raw(b"GET /api/" + b"a" * 8_000 + b" HTTP/1.1", 404, "not_found")

    assert _envelope_problem(*exchange((live_server.thread.host, live_server.thread.port), raw), raw) is None
