"""The contract with the envelope core alone: no feature app installed, django-otp and django-ratelimit absent.

Run in a process of its own by ``tests/test_core_alone.py`` (``--noconftest``, ``tests.core_alone.settings``).
"""

from __future__ import annotations

import importlib
import json
import sys
from io import StringIO
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from causeloop_errors.codes import BUILTIN
from causeloop_errors.testing import assert_error_envelope, assert_url_contract
from tests.core_alone.urls import CLASSES

FEATURE_APPS = ("causeloop_errors.policies", "causeloop_errors.ratelimits", "causeloop_errors.audit")


@pytest.mark.parametrize("missing", ["django_otp", "django_ratelimit"])
def test_the_feature_dependencies_cannot_be_imported(missing: str) -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(missing)


def test_no_feature_app_is_installed_and_the_core_imported_none() -> None:
    assert not any(apps.is_installed(name) for name in FEATURE_APPS)
    assert not [name for name in sys.modules if name.startswith(FEATURE_APPS)]


@pytest.mark.django_db
def test_the_core_alone_passes_every_check() -> None:
    call_command("check", fail_level="WARNING", stdout=StringIO())


@pytest.mark.parametrize("code", sorted(CLASSES))
def test_every_builtin_code_raised_in_a_drf_view_is_its_envelope(code: str, error_client: Any) -> None:
    status = next(entry.status for entry in BUILTIN if entry.code == code)
    assert_error_envelope(error_client.get(f"/api/raise/{code}"), status, code)


def test_field_errors_of_a_serializer_are_dot_paths(api_error_client: Any) -> None:
    response = api_error_client.post("/api/orders/", {"items": [{"name": "x" * 11}]}, format="json")
    assert_error_envelope(
        response, 400, "validation_error", {"items.0.name": "Ensure this field has no more than 10 characters."}
    )
    assert response.data["error"]["code"] == "validation_error"  # a DRF Response: .data is the body


def test_returned_serializer_errors_keep_their_fields(api_error_client: Any) -> None:
    response = api_error_client.post("/api/returns-errors/", {"items": [{}]}, format="json")
    assert_error_envelope(response, 400, "validation_error", {"items.0.name": "This field is required."})


@pytest.mark.parametrize(
    ("request_args", "status", "code"),
    [
        ({"path": "/api/nope"}, 404, "not_found"),
        ({"path": "/API/orders/"}, 404, "not_found"),
        ({"path": "/api/orders/", "method": "delete"}, 405, "method_not_allowed"),
        (
            {"path": "/api/orders/", "method": "post", "data": "x", "content_type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        (
            {"path": "/api/orders/", "method": "post", "data": "{bad", "content_type": "application/json"},
            400,
            "validation_error",
        ),
        ({"path": "/api/plain/crash"}, 500, "internal_error"),
        ({"path": "/api/plain/missing"}, 404, "not_found"),
    ],
)
def test_failures_outside_drf_views_are_envelopes_too(
    request_args: dict[str, Any], status: int, code: str, error_client: Any
) -> None:
    args = dict(request_args)
    method = args.pop("method", "get")
    error = assert_error_envelope(getattr(error_client, method)(**args), status, code)
    assert "secret internals" not in error["message"] and "Invoice" not in error["message"]


def test_an_oversized_body_is_413(error_client: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"items": [{"name": "x"}] * 50})
    assert_error_envelope(
        error_client.post("/api/orders/", body, content_type="application/json"), 413, "payload_too_large"
    )


def test_a_drf_throttle_is_429_with_retry_after(error_client: Any) -> None:
    response = error_client.get("/api/throttled")
    assert_error_envelope(response, 429, "rate_limited", {"retry_after": 8}, headers={"Retry-After": "8"})


def test_successes_carry_the_request_id_and_no_rate_limit_headers(error_client: Any) -> None:
    response = error_client.get("/api/orders/")
    assert response.status_code == 200
    assert response.has_header("X-Request-Id")
    assert not response.has_header("X-RateLimit-Limit")


def test_the_url_contract_holds(api_error_client: Any) -> None:
    assert_url_contract(api_error_client, skip=["/api/plain/*"])  # plain views answer any method: by design


def test_error_catalog_lists_no_feature_codes() -> None:
    out = StringIO()
    call_command("error_catalog", "--format", "json", stdout=out)
    listed = {entry["code"] for entry in json.loads(out.getvalue())}
    assert {"mfa_required", "sso_required"}.isdisjoint(listed)
    assert "rate_limited" in listed  # the one view with a DRF throttle
    assert {"validation_error", "not_found", "internal_error"} <= listed


def test_the_openapi_document_lists_neither_policy_codes_nor_rate_limit_rules() -> None:
    pytest.importorskip("drf_spectacular")
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    text = json.dumps(schema)
    assert "mfa_required" not in text and "sso_required" not in text and "MFA-Enforced-From" not in text
    assert "X-RateLimit-Limit" not in text
    assert "429" not in schema["paths"]["/api/orders/"]["get"]["responses"]
    assert "429" in schema["paths"]["/api/throttled"]["get"]["responses"]
