"""The DRF exception handler: every exception a DRF view raises becomes the envelope."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test import Client, override_settings

from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db]


def test_raised_not_found_keeps_message_and_details_as_in_the_contract(client: Client) -> None:
    error = assert_envelope(client.get("/api/raise/api_not_found"), 404, "not_found", {"id": "iss_01abc123"})
    assert error["message"] == "Issue iss_01abc123 not found"


def test_raised_error_without_message_uses_the_catalog_default(client: Client) -> None:
    error = assert_envelope(client.get("/api/raise/api_conflict"), 409, "conflict", {"name": "taken"})
    assert error["message"] == "The operation conflicts with existing state."


def test_unregistered_code_degrades_to_generic_code_and_warns(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    assert_envelope(client.get("/api/raise/api_unregistered"), 500, "internal_error")
    assert any("no_such_code" in record.getMessage() for record in caplog.records if record.levelname == "WARNING")


def test_nested_validation_errors_are_dot_paths_with_index_zero(client: Client) -> None:
    payload = {
        "connector": {"type": "github", "config": {}},
        "tags": ["ok", "too-long-tag"],
        "items": [{}, {"name": "fine"}],
    }
    response = client.post("/api/validate", payload, content_type="application/json")
    error = assert_envelope(response, 400, "validation_error")
    assert error["message"] == "Request validation failed"
    assert error["details"] == {
        "name": "This field is required.",
        "connector.config.api_key": "This field is required.",
        "tags.1": "Ensure this field has no more than 5 characters.",
        "items.0.name": "This field is required.",
    }
    assert "field_errors" not in error


def test_field_errors_member_keeps_every_message_and_code_when_enabled(client: Client) -> None:
    with override_settings(CAUSELOOP_ERRORS={"INCLUDE_FIELD_ERRORS": True}):
        response = client.post("/api/validate", {"tags": ["ok"]}, content_type="application/json")
    error = assert_envelope(response, 400, "validation_error")
    assert {"path": "name", "message": "This field is required.", "code": "required"} in error["field_errors"]
    assert len(error["field_errors"]) == 2


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # DRF 3.18 deprecates the list format
@override_settings(
    REST_FRAMEWORK={
        "EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
        "LIST_SERIALIZER_ERRORS_AS_DICT": False,
    }
)
def test_list_format_of_older_drf_keeps_index_zero(client: Client) -> None:
    response = client.post(
        "/api/validate",
        {"name": "n", "connector": {"type": "jira", "config": {"api_key": "k"}}, "tags": [], "items": [{}, {}]},
        content_type="application/json",
    )
    error = assert_envelope(response, 400, "validation_error")
    assert error["details"] == {"items.0.name": "This field is required.", "items.1.name": "This field is required."}


def test_top_level_validation_error_goes_under_non_field_errors(client: Client) -> None:
    error = assert_envelope(client.get("/api/raise/drf_validation_str"), 400, "validation_error")
    assert error["details"] == {"non_field_errors": "Whole request is wrong."}


def test_django_validation_error_maps_all_to_non_field_errors(client: Client) -> None:
    error = assert_envelope(client.get("/api/raise/django_validation"), 400, "validation_error")
    assert error["details"] == {"non_field_errors": "Dates overlap.", "start": "Too early."}


def test_malformed_json_has_a_fixed_message_without_parser_positions(client: Client) -> None:
    response = client.post("/api/validate", '{"name": ', content_type="application/json")
    error = assert_envelope(response, 400, "validation_error")
    assert error["message"] == "Malformed request body."
    assert "line" not in response.content.decode() and "char" not in response.content.decode()


def test_parse_error_raised_by_a_view_does_not_echo_its_text(client: Client) -> None:
    response = client.get("/api/raise/drf_parse")
    assert_envelope(response, 400, "validation_error")
    assert "column" not in response.content.decode()


def test_missing_credentials_are_401_even_when_drf_would_answer_403(client: Client) -> None:
    # SessionAuthentication has no authenticate header, so DRF alone answers 403.
    response = client.get("/api/session")
    assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@override_settings(CAUSELOOP_ERRORS={"WWW_AUTHENTICATE": 'Session realm="console"'})
def test_www_authenticate_fallback_is_a_setting(client: Client) -> None:
    assert client.get("/api/session")["WWW-Authenticate"] == 'Session realm="console"'


def test_invalid_credentials_use_the_authenticators_own_header(client: Client) -> None:
    response = client.get("/api/basic", HTTP_AUTHORIZATION="Basic bm9wZTpub3Bl")
    error = assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert error["message"] == "Invalid username/password."


def test_csrf_failure_under_session_auth_is_forbidden_not_unauthorized(client: Client) -> None:
    User.objects.create_user("carol", password="pw")
    csrf_client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    csrf_client.login(username="carol", password="pw")
    response = csrf_client.post("/api/session", {}, content_type="application/json")
    error = assert_envelope(response, 403, "forbidden")
    assert "CSRF" in error["message"]


def test_authenticated_but_not_permitted_is_forbidden(client: Client) -> None:
    assert_envelope(client.get("/api/raise/drf_permission"), 403, "forbidden")


@pytest.mark.parametrize(
    ("name", "status", "code"),
    [
        ("drf_not_found", 404, "not_found"),
        ("drf_method", 405, "method_not_allowed"),
        ("drf_not_acceptable", 406, "not_acceptable"),
        ("drf_media", 415, "unsupported_media_type"),
        ("permission_denied", 403, "forbidden"),
        ("bad_request", 400, "validation_error"),
        ("suspicious", 400, "validation_error"),
        ("disallowed_host", 400, "validation_error"),
        ("too_big", 413, "payload_too_large"),
    ],
)
def test_drf_and_django_exceptions_map_to_their_catalog_code(client: Client, name: str, status: int, code: str) -> None:
    assert_envelope(client.get(f"/api/raise/{name}"), status, code)


@pytest.mark.parametrize("name", ["bad_request", "suspicious", "disallowed_host", "too_big", "http404"])
def test_django_exception_text_never_reaches_the_body(client: Client, name: str) -> None:
    body = client.get(f"/api/raise/{name}").content.decode()
    for leak in ("raw header", "/etc/passwd", "evil.example", "DATA_UPLOAD", "Group"):
        assert leak not in body


def test_get_object_or_404_does_not_leak_the_model_name(client: Client) -> None:
    response = client.get("/api/missing-group")
    error = assert_envelope(response, 404, "not_found")
    assert "Group" not in response.content.decode()
    assert error["message"] == "The requested resource does not exist."


@pytest.mark.parametrize(("path", "seconds"), [("/api/raise/drf_throttled", 1), ("/api/throttled", 13)])
def test_throttled_has_integer_retry_after_at_least_one_in_header_and_details(
    client: Client, path: str, seconds: int
) -> None:
    response = client.get(path)
    assert_envelope(response, 429, "rate_limited", {"retry_after": seconds})
    assert response["Retry-After"] == str(seconds)


@pytest.mark.parametrize("name", ["ratelimited", "drf_throttled_unknown"])
def test_rate_limits_without_a_known_wait_use_the_default_retry_after(client: Client, name: str) -> None:
    response = client.get(f"/api/raise/{name}")
    assert_envelope(response, 429, "rate_limited", {"retry_after": 60})
    assert response["Retry-After"] == "60"


def test_rate_limited_api_error_rounds_retry_after_up(client: Client) -> None:
    response = client.get("/api/raise/api_rate_limited")
    assert_envelope(response, 429, "rate_limited", {"retry_after": 3})
    assert response["Retry-After"] == "3"


@override_settings(
    CAUSELOOP_ERRORS={"CODES": [{"code": "insufficient_balance", "status": 402, "message": "Insufficient balance."}]}
)
def test_third_party_exception_keeps_status_and_registered_default_code(client: Client) -> None:
    error = assert_envelope(client.get("/api/third-party/payment"), 402, "insufficient_balance")
    assert error["message"] == "Top up your balance."


def test_third_party_exception_with_unregistered_code_keeps_status_and_degrades(client: Client) -> None:
    assert_envelope(client.get("/api/third-party/payment"), 402, "validation_error")
    assert_envelope(client.get("/api/third-party/teapot"), 418, "validation_error")


def test_third_party_detail_with_code_is_one_error_not_fake_fields(client: Client) -> None:
    error = assert_envelope(client.get("/api/third-party/dict"), 500, "internal_error")
    assert error["message"] == "Upstream refused."
    assert "details" not in error


def test_third_party_field_map_detail_is_flattened_to_dot_paths(client: Client) -> None:
    assert_envelope(
        client.get("/api/third-party/field-map"),
        400,
        "validation_error",
        {"email": "Enter a valid email address.", "address.zip": "Bad zip code."},
    )


def test_third_party_429_carries_retry_after_in_header_and_details(client: Client) -> None:
    response = client.get("/api/third-party/429")
    assert_envelope(response, 429, "rate_limited", {"retry_after": 60})
    assert response["Retry-After"] == "60"


def test_third_party_401_carries_www_authenticate(client: Client) -> None:
    response = client.get("/api/third-party/401")
    assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_deeply_nested_json_is_malformed_not_a_crash(client: Client) -> None:
    for body in ("[" * 100_000, "[" * 10_000 + "]" * 10_000):
        error = assert_envelope(
            client.post("/api/validate", body, content_type="application/json"), 400, "validation_error"
        )
        assert error["message"] == "Malformed request body."


def test_third_party_registered_code_matching_its_status_is_kept(client: Client) -> None:
    assert_envelope(client.get("/api/third-party/conflict"), 409, "conflict")


def test_unhandled_exception_is_a_generic_500_without_internals(client: Client) -> None:
    response = client.get("/api/raise/crash")
    error = assert_envelope(response, 500, "internal_error")
    assert error["message"] == "Unexpected server error."
    body = response.content.decode()
    for leak in ("hunter2", "RuntimeError", "SELECT", "auth_user", "Traceback"):
        assert leak not in body


def test_unhandled_exception_is_reraised_by_the_default_test_client_like_django_reports_it() -> None:
    with pytest.raises(RuntimeError):
        Client().get("/api/raise/crash")


def test_handler_never_raises_even_when_rendering_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise TypeError("renderer exploded")

    monkeypatch.setattr("causeloop_errors.handler.from_exception", broken)
    response = client.get("/api/raise/api_conflict")
    error = assert_envelope(response, 500, "internal_error")
    assert "exploded" not in json.dumps(error)


def test_error_bodies_are_json_even_when_the_client_asks_for_html(client: Client) -> None:
    response = client.get("/api/raise/drf_not_found", HTTP_ACCEPT="text/html")
    assert_envelope(response, 404, "not_found")


def test_success_responses_are_untouched_apart_from_the_request_id(client: Client) -> None:
    response = client.get("/api/ok")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["X-Request-Id"]


@pytest.mark.django_db(transaction=True)
def test_failed_request_rolls_back_its_transaction_like_drf(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    assert_envelope(client.post("/api/creates-then-fails"), 409, "conflict")
    assert not Group.objects.filter(name="half-done").exists()
