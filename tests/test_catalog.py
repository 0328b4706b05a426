"""The catalog: the contract's codes exactly, the added ones, host codes, and degradation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from causeloop_errors import catalog

CONTRACT = {
    "validation_error": 400,
    "unauthorized": 401,
    "invalid_grant": 401,
    "forbidden": 403,
    "mfa_required": 403,
    "sso_required": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "internal_error": 500,
}
ADDED = {
    "method_not_allowed": 405,
    "not_acceptable": 406,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "unprocessable_entity": 422,
    "service_unavailable": 503,
}
HOST_CODE = {
    "code": "insufficient_balance",
    "status": 402,
    "message": "Insufficient balance.",
    "description": "Top up.",
}


def test_builtin_codes_are_exactly_the_contracts_table_plus_the_documented_additions() -> None:
    assert {entry.code: entry.status for entry in catalog.BUILTIN} == {**CONTRACT, **ADDED}


def test_the_example_project_rewords_the_builtin_codes_with_the_contracts_descriptions_verbatim() -> None:
    assert catalog.get("invalid_grant").description == (  # type: ignore[union-attr]
        "The subject_token passed to /auth/exchange is invalid or could not be verified."
    )
    assert catalog.get("sso_required").description == "SSO is enforced for this workspace — use the SSO flow."  # type: ignore[union-attr]
    assert catalog.get("rate_limited").description == "Too many requests from this IP. See the Retry-After header."  # type: ignore[union-attr]
    assert catalog.get("validation_error").message == "Request validation failed"  # type: ignore[union-attr]


def test_generic_code_of_a_status_is_its_first_registered_code() -> None:
    assert catalog.generic_for_status(401).code == "unauthorized"
    assert catalog.generic_for_status(403).code == "forbidden"


def test_unregistered_statuses_fall_back_by_class() -> None:
    assert catalog.generic_for_status(418).code == "validation_error"
    assert catalog.generic_for_status(502).code == "internal_error"


def test_unregistered_code_degrades_and_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    assert catalog.resolve("made_up", 409).code == "conflict"
    assert "made_up" in caplog.text


@override_settings(CAUSELOOP_ERRORS={"CODES": [HOST_CODE]})
def test_host_registers_a_code_through_settings() -> None:
    entry = catalog.get("insufficient_balance")
    assert entry is not None and (entry.status, entry.builtin) == (402, False)
    assert catalog.generic_for_status(402).code == "insufficient_balance"
    assert "insufficient_balance" in [item.code for item in catalog.all_codes()]


def test_host_code_disappears_when_the_setting_is_removed() -> None:
    with override_settings(CAUSELOOP_ERRORS={"CODES": [HOST_CODE]}):
        assert catalog.get("insufficient_balance") is not None
    assert catalog.get("insufficient_balance") is None


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "not_found", "status": 410, "message": "Gone."}]})
def test_host_code_cannot_change_the_status_of_a_builtin() -> None:
    entry = catalog.get("not_found")
    assert entry is not None and (entry.status, entry.message) == (404, "The requested resource does not exist.")


@override_settings(
    CAUSELOOP_ERRORS={"CODES": [{"code": "conflict", "message": "Already there.", "description": "A duplicate name."}]}
)
def test_host_rewords_a_builtin_code_keeping_its_status_and_place() -> None:
    entry = catalog.get("conflict")
    assert entry is not None
    assert (entry.status, entry.message, entry.description, entry.builtin) == (
        409,
        "Already there.",
        "A duplicate name.",
        True,
    )
    assert catalog.generic_for_status(409).code == "conflict"
    assert [item.code for item in catalog.all_codes()] == [item.code for item in catalog.BUILTIN]


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "forbidden", "description": "No scope for this."}]})
def test_rewording_only_the_description_keeps_the_builtin_message() -> None:
    entry = catalog.get("forbidden")
    assert entry is not None
    assert (entry.message, entry.description) == (
        "You do not have permission to perform this action.",
        "No scope for this.",
    )


def test_builtin_descriptions_name_no_product_route_or_resource() -> None:
    text = " ".join(entry.description + entry.message for entry in catalog.BUILTIN)
    for word in ("/auth/", "service account", "from this IP", "scope", "Causeloop"):
        assert word not in text


def test_all_codes_are_ordered_by_status() -> None:
    statuses = [entry.status for entry in catalog.all_codes()]
    assert statuses == sorted(statuses)


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "not_found", "message": "Nothing lives at this address."}]})
def test_a_reworded_message_is_the_one_clients_get(client: Any) -> None:
    response = client.get("/api/no-such-route/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"] == "Nothing lives at this address."
