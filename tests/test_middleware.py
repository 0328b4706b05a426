"""The middleware: trace ids in and out, and the envelope for failures DRF never sees."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient, Client, override_settings

from causeloop_errors.middleware import MIDDLEWARE_PATH
from tests.contract import assert_envelope, is_uuid

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]

EXPLODING = [MIDDLEWARE_PATH, "tests.core_middleware.ExplodingMiddleware", *settings.MIDDLEWARE[1:]]


@pytest.fixture
def no_atomic_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Django refuses ATOMIC_REQUESTS around async views; the example project turns it on."""
    from django.db import connection

    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", False)


def test_unknown_url_under_api_prefix_returns_not_found_envelope(client: Client) -> None:
    assert_envelope(client.get("/api/does/not/exist"), 404, "not_found")
    assert_envelope(client.get("/auth/nothing-here"), 404, "not_found")


@override_settings(DEBUG=True)
def test_unknown_url_is_an_envelope_even_with_debug_on(client: Client) -> None:
    response = client.get("/api/does/not/exist")
    assert_envelope(response, 404, "not_found")
    assert b"URLconf" not in response.content


def test_unknown_url_outside_api_prefixes_keeps_djangos_page(client: Client) -> None:
    response = client.get("/pages/missing")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
    assert is_uuid(response["X-Request-Id"])


def test_exception_in_plain_django_view_on_api_path_is_an_envelope(client: Client) -> None:
    assert_envelope(client.get("/api/plain/raise/api_conflict"), 409, "conflict")
    assert_envelope(client.get("/api/plain/raise/http404"), 404, "not_found")
    assert_envelope(client.get("/api/plain/raise/ratelimited"), 429, "rate_limited", {"retry_after": 60})


def test_crash_in_plain_django_view_is_a_generic_500(client: Client) -> None:
    response = client.get("/api/plain/raise/crash")
    assert_envelope(response, 500, "internal_error")
    assert b"hunter2" not in response.content


def test_crash_outside_api_prefixes_is_left_to_django(client: Client) -> None:
    response = client.get("/pages/raise/crash")
    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


def test_non_envelope_error_response_from_api_view_is_rewritten(client: Client) -> None:
    assert_envelope(client.get("/api/plain/html-404"), 404, "not_found")


def test_rewritten_response_keeps_headers_cookies_and_retry_after(client: Client) -> None:
    response = client.get("/api/plain/json-429")
    assert_envelope(response, 429, "rate_limited", {"retry_after": 7})
    assert response["Retry-After"] == "7"
    assert response.cookies["kept"].value == "yes"


@override_settings(MIDDLEWARE=EXPLODING)
@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("crash", 500, "internal_error"),
        ("permission_denied", 403, "forbidden"),
        ("http404", 404, "not_found"),
        ("suspicious", 400, "validation_error"),
        ("api_conflict", 409, "conflict"),
        ("ratelimited", 429, "rate_limited"),
    ],
)
def test_exception_raised_by_a_middleware_below_is_an_envelope(
    client: Client, name: str, status: int, code: str
) -> None:
    response = client.get("/api/ok", HTTP_X_EXPLODE=name)
    assert_envelope(response, status, code)
    assert b"hunter2" not in response.content


@override_settings(MIDDLEWARE=EXPLODING, DEBUG=True)
def test_middleware_crash_with_debug_on_still_hides_the_traceback(client: Client) -> None:
    response = client.get("/api/ok", HTTP_X_EXPLODE="crash")
    assert_envelope(response, 500, "internal_error")
    assert b"hunter2" not in response.content and b"Traceback" not in response.content


def test_disallowed_host_is_a_400_envelope(client: Client) -> None:
    response = client.get("/api/ok", HTTP_HOST="evil.example")
    assert_envelope(response, 400, "validation_error")
    assert b"evil.example" not in response.content


def test_csrf_failure_on_plain_view_is_forbidden(client: Client) -> None:
    response = Client(enforce_csrf_checks=True).post("/api/plain/csrf", {"a": "b"})
    error = assert_envelope(response, 403, "forbidden")
    assert error["message"] == "CSRF verification failed."


@override_settings(CSRF_FAILURE_VIEW="django.views.csrf.csrf_failure")
def test_csrf_failure_is_forbidden_even_without_the_apps_csrf_view(client: Client) -> None:
    response = Client(enforce_csrf_checks=True).post("/api/plain/csrf", {"a": "b"})
    assert_envelope(response, 403, "forbidden")


def test_csrf_failure_outside_api_prefixes_keeps_djangos_page() -> None:
    response = Client(enforce_csrf_checks=True).post("/pages/ok", {"a": "b"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_json_body_is_413(client: Client) -> None:
    response = client.post("/api/validate", "x" * 500, content_type="application/json")
    assert_envelope(response, 413, "payload_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_form_body_read_by_a_plain_view_is_413(client: Client) -> None:
    response = client.post("/api/plain/csrf", "a=" + "x" * 500, content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 413, "payload_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_multipart_field_read_by_the_csrf_middleware_is_413() -> None:
    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    csrf_client.cookies["csrftoken"] = "a" * 32
    response = csrf_client.post("/api/plain/csrf", {"field": "x" * 500})  # multipart/form-data
    assert_envelope(response, 413, "payload_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_streamed_upload_over_the_in_memory_limit_is_accepted_as_django_does(client: Client) -> None:
    # DATA_UPLOAD_MAX_MEMORY_SIZE limits bodies read into memory, not streamed uploads.
    response = client.put(
        "/api/upload/report.bin",
        b"\0" * 500,
        content_type="application/octet-stream",
        HTTP_CONTENT_DISPOSITION="attachment; filename=report.bin",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"size": 500}


@override_settings(MIDDLEWARE=[MIDDLEWARE_PATH, "django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE[1:]])
def test_rewritten_error_drops_headers_that_described_the_old_body(client: Client) -> None:
    response = client.get("/api/plain/html-404", HTTP_ACCEPT_ENCODING="gzip")
    assert_envelope(response, 404, "not_found")
    assert "Content-Encoding" not in response


def test_api_prefix_without_its_trailing_slash_is_an_api_path(client: Client) -> None:
    assert_envelope(client.get("/api"), 404, "not_found")
    assert client.get("/apix").status_code == 404
    assert not client.get("/apix")["Content-Type"].startswith("application/json")


@override_settings(CAUSELOOP_ERRORS={"TRUST_REQUEST_ID_HEADER": "false"})
def test_trust_setting_that_is_not_true_fails_closed(client: Client) -> None:
    response = client.get("/api/nope", HTTP_X_REQUEST_ID="client-chosen-id-123")
    assert response["X-Request-Id"] != "client-chosen-id-123"


def test_every_response_gets_a_uuid_request_id(client: Client) -> None:
    for path in ("/api/ok", "/api/plain/ok", "/pages/ok"):
        assert is_uuid(client.get(path)["X-Request-Id"])


def test_each_request_gets_its_own_trace_id(client: Client) -> None:
    first, second = client.get("/api/nope"), client.get("/api/nope")
    assert first["X-Request-Id"] != second["X-Request-Id"]


def test_incoming_request_id_is_ignored_by_default(client: Client) -> None:
    response = client.get("/api/nope", HTTP_X_REQUEST_ID="edge-1234567")
    assert response["X-Request-Id"] != "edge-1234567"


@override_settings(CAUSELOOP_ERRORS={"TRUST_REQUEST_ID_HEADER": True})
def test_incoming_request_id_is_adopted_behind_a_trusted_edge(client: Client) -> None:
    error = assert_envelope(client.get("/api/nope", HTTP_X_REQUEST_ID="edge:req-1234.5_6"), 404, "not_found")
    assert error["trace_id"] == "edge:req-1234.5_6"


@override_settings(CAUSELOOP_ERRORS={"TRUST_REQUEST_ID_HEADER": True})
@pytest.mark.parametrize("bad", ["short", "x" * 129, "has space 123", "inject\r\nSet-Cookie: a=b", "<script>alert(1)"])
def test_malformed_incoming_request_id_is_replaced(client: Client, bad: str) -> None:
    response = client.get("/api/nope", HTTP_X_REQUEST_ID=bad)
    assert is_uuid(response["X-Request-Id"])


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_expose_headers_are_appended_never_overwritten(client: Client) -> None:
    response = client.get("/api/ok")
    assert response["Access-Control-Expose-Headers"] == "X-Request-Id, Retry-After"


def test_the_expose_header_does_not_depend_on_origin_so_a_cache_may_share_it(client: Client) -> None:
    same_origin = client.get("/api/ok")
    cross_origin = client.get("/api/ok", HTTP_ORIGIN="https://app.example")
    assert same_origin["Access-Control-Expose-Headers"] == cross_origin["Access-Control-Expose-Headers"]


def test_expose_headers_keep_existing_values() -> None:
    from django.http import HttpResponse

    from causeloop_errors.middleware import expose_headers

    response = HttpResponse()
    response["Access-Control-Expose-Headers"] = "ETag, x-request-id"
    expose_headers(response)
    assert response["Access-Control-Expose-Headers"] == "ETag, x-request-id, Retry-After"


def test_401_rewritten_from_a_plain_response_gets_www_authenticate(client: Client) -> None:
    from django.http import HttpResponse

    from causeloop_errors.middleware import ErrorEnvelopeMiddleware

    def view(request: object) -> HttpResponse:
        return HttpResponse("nope", status=401)

    from django.test import RequestFactory

    response = ErrorEnvelopeMiddleware(view)(RequestFactory().get("/api/x"))
    assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


async def _async_view_exception_is_an_envelope() -> None:
    client = AsyncClient(raise_request_exception=False)
    response = await client.get("/api/async/raise/api_not_found")
    assert_envelope(response, 404, "not_found", {"id": "iss_01abc123"})


async def _async_view_crash_and_unknown_url_are_envelopes() -> None:
    client = AsyncClient(raise_request_exception=False)
    assert_envelope(await client.get("/api/async/raise/crash"), 500, "internal_error")
    assert_envelope(await client.get("/api/async/missing"), 404, "not_found")


async def _async_success_gets_a_request_id() -> None:
    response = await AsyncClient().get("/api/async/ok")
    assert response.status_code == 200
    assert is_uuid(response["X-Request-Id"])


async def _drf_view_under_asgi_is_an_envelope() -> None:
    client = AsyncClient(raise_request_exception=False)
    response = await client.post("/api/validate", {"tags": []}, content_type="application/json")
    assert_envelope(response, 400, "validation_error")


def test_async_view_exception_is_an_envelope(no_atomic_requests: None) -> None:
    async_to_sync(_async_view_exception_is_an_envelope)()


def test_async_view_crash_and_unknown_url_are_envelopes(no_atomic_requests: None) -> None:
    async_to_sync(_async_view_crash_and_unknown_url_are_envelopes)()


def test_async_success_gets_a_request_id(no_atomic_requests: None) -> None:
    async_to_sync(_async_success_gets_a_request_id)()


def test_drf_view_under_asgi_is_an_envelope(no_atomic_requests: None) -> None:
    async_to_sync(_drf_view_under_asgi_is_an_envelope)()


def test_middleware_falls_back_to_a_minimal_envelope_when_rewriting_fails(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("rewrite exploded")

    monkeypatch.setattr("causeloop_errors.rewrite.from_status", broken)
    response = client.get("/api/plain/html-404")
    assert_envelope(response, 500, "internal_error")
