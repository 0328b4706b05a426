"""Content negotiation: a client that asks for problem details still gets its successes, never a 406."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings

from causeloop_errors import checks
from causeloop_errors.negotiation import ProblemDetailsNegotiation

pytestmark = pytest.mark.urls("example_project.urls")

PROBLEM = "application/problem+json"


@pytest.fixture
def negotiable(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "NEGOTIATE_PROBLEM_DETAILS": True}


@pytest.mark.usefixtures("negotiable")
def test_a_success_asked_for_as_problem_json_only_is_json(client: Client, demo_headers: dict[str, str]) -> None:
    response = client.get("/api/issues", HTTP_ACCEPT=PROBLEM, headers=demo_headers)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.usefixtures("negotiable")
def test_an_error_asked_for_as_problem_json_only_is_problem_details(
    client: Client, demo_headers: dict[str, str]
) -> None:
    response = client.get("/api/issues/iss_nope", HTTP_ACCEPT=f"{PROBLEM};q=0.9", headers=demo_headers)

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert (body["status"], body["code"], body["trace_id"]) == (404, "not_found", response["X-Request-Id"])


def test_without_negotiation_drf_refuses_problem_json_only_as_before(
    client: Client, demo_headers: dict[str, str]
) -> None:
    response = client.get("/api/issues", HTTP_ACCEPT=PROBLEM, headers=demo_headers)

    assert response.status_code == 406
    assert json.loads(response.content)["error"]["code"] == "not_acceptable"


def test_other_media_types_are_negotiated_as_drf_does(negotiable: None) -> None:
    from django.test import RequestFactory
    from rest_framework.request import Request

    request = Request(RequestFactory().get("/", HTTP_ACCEPT=f"text/html, {PROBLEM};q=0.5, */*;q=0.1"))

    assert ProblemDetailsNegotiation().get_accept_list(request) == ["text/html", "application/json;q=0.5", "*/*;q=0.1"]


def test_negotiable_problem_details_without_the_negotiation_class_is_w003(negotiable: None) -> None:
    with override_settings(REST_FRAMEWORK={"EXCEPTION_HANDLER": checks.HANDLER}):
        [message] = checks.check_problem_negotiation()

    assert message.id == "causeloop_errors.W003" and checks.NEGOTIATION in message.hint


def test_the_negotiation_class_or_negotiation_off_passes_w003(settings: Any) -> None:
    assert checks.check_problem_negotiation() == []  # off
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "NEGOTIATE_PROBLEM_DETAILS": True}
    assert checks.check_problem_negotiation() == []  # the example project's REST_FRAMEWORK names the class


@pytest.mark.usefixtures("negotiable")
def test_problem_json_with_parameters_is_negotiated_too(client: Client, demo_headers: dict[str, str]) -> None:
    accept = f"{PROBLEM}; charset=utf-8"

    success = client.get("/api/issues", HTTP_ACCEPT=accept, headers=demo_headers)
    failure = client.get("/api/issues/iss_nope", HTTP_ACCEPT=accept, headers=demo_headers)

    assert (success.status_code, success["Content-Type"]) == (200, "application/json")
    assert (failure.status_code, failure["Content-Type"]) == (404, PROBLEM)
