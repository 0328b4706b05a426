"""DRF habits keep working: error responses of DRF views are DRF Responses, and returned error data is kept."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.response import Response

from tests.contract import assert_envelope

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.usefixtures("app_defaults"), pytest.mark.django_db]

BAD_CUSTOMER = {"name": "x" * 30, "email": "nope", "address": {"zip": "1"}, "tags": ["ok", "toolong"]}


def test_returned_serializer_errors_keep_every_field_as_dot_path_details(client: Client) -> None:
    response = client.post("/api/habits/customers", BAD_CUSTOMER, content_type="application/json")

    error = assert_envelope(response, 400, "validation_error")
    assert error["message"] == "Request validation failed"
    assert error["details"] == {
        "name": "Ensure this field has no more than 20 characters.",
        "email": "Enter a valid email address.",
        "address.zip": "This value does not match the required pattern.",
        "tags.1": "Ensure this field has no more than 3 characters.",
    }


def test_a_valid_body_is_untouched(client: Client) -> None:
    good = {"name": "Ada", "email": "ada@example.com", "address": {"zip": "12345"}, "tags": ["vip"]}
    response = client.post("/api/habits/customers", good, content_type="application/json")

    assert response.status_code == 201
    assert json.loads(response.content)["name"] == "Ada"


def test_a_returned_detail_is_the_message_of_the_statuses_code(client: Client) -> None:
    error = assert_envelope(client.get("/api/habits/returns/forbidden"), 403, "forbidden")
    assert (error["message"], error.get("details")) == ("You do not own this customer.", None)


def test_a_returned_401_gets_its_www_authenticate_header(client: Client) -> None:
    response = client.get("/api/habits/returns/unauthorized")
    error = assert_envelope(response, 401, "unauthorized")
    assert error["message"] == "Sign in first."
    assert response["WWW-Authenticate"]


def test_a_returned_field_map_with_another_4xx_keeps_its_fields(client: Client) -> None:
    error = assert_envelope(client.get("/api/habits/returns/conflict"), 409, "conflict")
    assert error["details"] == {"email": "A customer with this email exists."}


def test_a_returned_5xx_never_passes_its_words_on(client: Client) -> None:
    response = client.get("/api/habits/returns/upstream")
    error = assert_envelope(response, 503, "service_unavailable")
    assert "hunter2" not in response.content.decode()
    assert error["message"] == "Service temporarily unavailable."


def test_returned_empty_error_data_gets_the_generic_envelope(client: Client) -> None:
    assert_envelope(client.get("/api/habits/returns/empty"), 400, "validation_error")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/habits/customers", BAD_CUSTOMER),  # returned data, rewritten by the middleware
        ("get", "/api/raise/api_not_found", None),  # raised, answered by the exception handler
        ("get", "/api/raise/crash", None),
    ],
)
def test_error_responses_of_drf_views_are_drf_responses_whose_data_is_the_body_sent(
    client: Client, method: str, path: str, body: Any
) -> None:
    response = getattr(client, method)(path, body, content_type="application/json") if body else client.get(path)

    assert isinstance(response, Response)
    assert response.data == json.loads(response.content)
    assert response.data["error"]["trace_id"] == response["X-Request-Id"]
    assert response["Content-Type"] == "application/json"
