"""The CAPI style: the example body of ``003_…``, its 401/402/403 vocabulary and UPPER_SNAKE codes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework import exceptions as drf

from causeloop_errors import catalog
from causeloop_errors.exceptions import Forbidden, NotFound, RateLimited, Unauthorized
from causeloop_errors.styles.capi import InsufficientBalance
from tests import style_support
from tests.style_support import Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style


@pytest.fixture(autouse=True)
def capi(use_style: Any) -> None:
    use_style("capi")


def test_error_envelope_example(raised: Raise) -> None:
    # 003_44d143b72757f4db.txt, lines 13-19
    expected = {
        "detail": {
            "code": "INSUFFICIENT_SCOPE",
            "message": "This endpoint requires a read_write token.",
            "details": {"token_scope": "read", "required": "read_write"},
        }
    }
    response = raised(
        lambda: Forbidden(
            "This endpoint requires a read_write token.", details={"token_scope": "read", "required": "read_write"}
        )
    )
    assert (response.status_code, body(response)) == (403, expected)
    assert response["Content-Type"] == "application/json"


@pytest.mark.urls("example_project.urls")
def test_the_demo_scope_refusal_is_insufficient_scope(api_client: Client, demo_read_token: str) -> None:
    response = api_client.post(
        "/api/issues", {"title": "x"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {demo_read_token}"
    )
    detail = body(response)["detail"]
    assert (response.status_code, detail["code"]) == (403, "INSUFFICIENT_SCOPE")
    assert detail["details"] == {"token_scope": "read", "required": "read_write"}


def test_no_authorization_header_is_missing_auth_header(raised: Raise) -> None:
    # 003_44d143b72757f4db.txt, line 36
    response = raised(lambda: drf.NotAuthenticated())
    assert (response.status_code, body(response)["detail"]["code"]) == (401, "MISSING_AUTH_HEADER")
    assert response["WWW-Authenticate"]


def test_a_refused_token_is_invalid_token_with_capis_wording_by_default(raised: Raise) -> None:
    # 003_44d143b72757f4db.txt, line 38
    response = raised(lambda: Unauthorized(), HTTP_AUTHORIZATION="Bearer cornect_revoked")
    assert body(response) == {"detail": {"code": "INVALID_TOKEN", "message": "Token not found or revoked."}}


def test_insufficient_credits_is_402_spelled_as_capi_spells_it(raised: Raise) -> None:
    # 003_44d143b72757f4db.txt, lines 25 and 43: 402 insufficient_balance (lower case in the document)
    response = raised(lambda: InsufficientBalance(details={"balance": 0, "required": 5}))
    assert response.status_code == 402
    assert body(response) == {
        "detail": {
            "code": "insufficient_balance",
            "message": "Insufficient credits for a charged operation.",
            "details": {"balance": 0, "required": 5},
        }
    }


def test_the_402_code_is_registered_only_while_the_capi_style_is_configured(use_style: Any) -> None:
    assert catalog.get("insufficient_balance") is not None
    use_style("causeloop")
    assert catalog.get("insufficient_balance") is None


def test_other_codes_are_upper_snake_with_details_kept(raised: Raise) -> None:
    assert body(raised(lambda: NotFound(details={"id": "x"}))) == {
        "detail": {"code": "NOT_FOUND", "message": "The requested resource does not exist.", "details": {"id": "x"}}
    }
    limited = raised(lambda: RateLimited(retry_after=42))
    assert body(limited)["detail"]["code"] == "RATE_LIMITED" and body(limited)["detail"]["details"] == {
        "retry_after": 42
    }
    assert limited["Retry-After"] == "42"


def test_validation_details_are_a_map_of_dot_paths(raised: Raise) -> None:
    response = raised(lambda: drf.ValidationError({"connector": {"config": {"api_key": ["Required."]}}}))
    assert body(response) == {
        "detail": {
            "code": "VALIDATION_ERROR",
            "message": "Request validation failed",
            "details": {"connector.config.api_key": "Required."},
        }
    }
