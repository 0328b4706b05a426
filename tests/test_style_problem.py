"""The problem details style: RFC 9457's example bodies, JSON Pointers, and per-request negotiation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework import exceptions as drf

from causeloop_errors.exceptions import APIError, Conflict, NotFound, RateLimited
from causeloop_errors.styles.problem import ProblemStyle, pointer
from tests import style_support
from tests.contract import is_uuid
from tests.style_support import REQ_ID, Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style

PROBLEM_JSON = "application/problem+json"


class OutOfCredit(APIError):
    code = "out_of_credit"


class RFCWording(ProblemStyle):
    """A host wording its validation problem type as RFC 9457's example does."""

    titles = {"validation_error": "Your request is not valid."}


def test_out_of_credit_example(use_style: Any, raised: Raise) -> None:
    # RFC 9457, section 3: the 403 "out-of-credit" example
    expected = {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/account/12345/msgs/abc",
        "balance": 30,
        "accounts": ["/account/12345", "/account/67890"],
    }
    use_style(
        "problem",
        PROBLEM_TYPE_BASE_URL="https://example.com/probs/",
        CODES=[{"code": "out_of_credit", "status": 403, "message": "You do not have enough credit."}],
    )
    response = raised(
        lambda: OutOfCredit(
            "Your current balance is 30, but that costs 50.",
            details={"balance": 30, "accounts": ["/account/12345", "/account/67890"]},
        ),
        path="/account/12345/msgs/abc",
    )
    got = body(response)
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM_JSON
    # the style's additions to every problem: status, code and trace_id (the X-Request-Id)
    assert got == {**expected, "status": 403, "code": "out_of_credit", "trace_id": response["X-Request-Id"]}


def test_validation_error_example(use_style: Any, raised: Raise) -> None:
    # RFC 9457, section 3: the "validation-error" example with two errors and their JSON Pointers
    expected = {
        "type": "https://example.net/validation-error",
        "title": "Your request is not valid.",
        "errors": [
            {"detail": "must be a positive integer", "pointer": "#/age"},
            {"detail": "must be 'green', 'red' or 'blue'", "pointer": "#/profile/color"},
        ],
    }
    use_style("tests.test_style_problem.RFCWording", PROBLEM_TYPE_BASE_URL="https://example.net/")
    detail = {"age": ["must be a positive integer"], "profile": {"color": ["must be 'green', 'red' or 'blue'"]}}
    response = raised(lambda: drf.ValidationError(detail))
    got = body(response)
    # the document answers 422; statuses are shared, so validation is 400 here
    assert response.status_code == 400
    additions = {"status": 400, "code": "validation_error", "trace_id": response["X-Request-Id"]}
    assert got == {**expected, "instance": "/api/styles/raise", **additions}


def test_without_a_base_url_the_type_is_about_blank_and_the_title_the_status_phrase(
    use_style: Any, raised: Raise
) -> None:
    use_style("problem", PROBLEM_TYPE_BASE_URL=None)
    response = raised(lambda: NotFound("Issue iss_01abc123 not found", details={"id": "iss_01abc123"}))
    got = body(response)
    assert is_uuid(got["trace_id"])
    assert got == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "Issue iss_01abc123 not found",
        "instance": "/api/styles/raise",
        "code": "not_found",
        "trace_id": got["trace_id"],
        "id": "iss_01abc123",
    }


def test_detail_is_left_out_when_it_only_repeats_the_title(use_style: Any, raised: Raise) -> None:
    use_style("problem", PROBLEM_TYPE_BASE_URL="/errors/")
    got = body(raised(lambda: Conflict()))
    assert (got["type"], got["title"]) == ("/errors/conflict", "The operation conflicts with existing state.")
    assert "detail" not in got


def test_details_that_clash_with_standard_members_stay_under_details(use_style: Any, raised: Raise) -> None:
    use_style("problem", PROBLEM_TYPE_BASE_URL=None)
    got = body(raised(lambda: Conflict(details={"type": "duplicate", "status": "taken", "name": "ci"})))
    assert got["type"] == "about:blank" and got["status"] == 409 and got["name"] == "ci"
    assert got["details"] == {"type": "duplicate", "status": "taken"}


def test_retry_after_is_a_member_next_to_the_header(use_style: Any, raised: Raise) -> None:
    use_style("problem")
    response = raised(lambda: RateLimited(retry_after=7))
    assert (body(response)["retry_after"], response["Retry-After"]) == (7, "7")


def test_malformed_json_has_no_errors_list(use_style: Any, api_client: Client) -> None:
    use_style("problem")
    got = body(api_client.post("/api/styles/raise", "{", content_type="application/json"))
    assert (got["code"], got["detail"]) == ("validation_error", "Malformed request body.") and "errors" not in got


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("age", "#/age"),
        ("items.0.name", "#/items/0/name"),
        ("labels.\\1", "#/labels/1"),
        ("a\\.b", "#/a.b"),
        ("non_field_errors", "#"),
        ("connector.non_field_errors", "#/connector"),
        ("odd/key", "#/odd~1key"),
        ("til~de", "#/til~0de"),
        ("with space", "#/with%20space"),
        ("naïve", "#/na%C3%AFve"),
    ],
)
def test_dot_paths_become_uri_fragment_json_pointers(path: str, expected: str) -> None:
    assert pointer(path) == expected


# What a client that understands problem details sends: DRF still finds a renderer for successes.
PREFERS_PROBLEM = "application/problem+json, application/json;q=0.9"


def test_negotiation_gives_problem_details_to_a_client_that_prefers_them(use_style: Any, raised: Raise) -> None:
    use_style("causeloop", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT=PREFERS_PROBLEM)
    assert response["Content-Type"] == PROBLEM_JSON and body(response)["code"] == "conflict"
    assert body(response)["trace_id"] == response["X-Request-Id"]


def test_problem_details_listed_first_at_the_same_quality_win(use_style: Any, raised: Raise) -> None:
    use_style("capi", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT="application/problem+json, application/json")
    assert response["Content-Type"] == PROBLEM_JSON


def test_a_client_accepting_only_problem_details_gets_the_views_error_not_a_406(use_style: Any, raised: Raise) -> None:
    """ProblemDetailsNegotiation (the example project's DRF negotiation class) reads the type as JSON for DRF."""
    use_style("causeloop", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT=PROBLEM_JSON)
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM_JSON)
    assert body(response)["code"] == "conflict"


@pytest.mark.parametrize(
    "accept",
    [
        "application/problem+json; charset=utf-8",
        "application/problem+json; charset=utf-8, application/json;q=0.5",
        "application/json;q=0.5, application/problem+json; charset=utf-8",
    ],
)
def test_problem_details_asked_for_with_parameters_are_still_negotiated(
    use_style: Any, raised: Raise, accept: str
) -> None:
    use_style("causeloop", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT=accept)
    assert response["Content-Type"] == PROBLEM_JSON and body(response)["code"] == "conflict"


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "*/*",
        "application/json, application/problem+json",
        "application/problem+json;q=0.5, */*",
        "application/json; charset=utf-8, application/problem+json; charset=utf-8;q=0.5",
    ],
)
def test_a_client_preferring_json_keeps_the_configured_style(use_style: Any, raised: Raise, accept: str) -> None:
    use_style("causeloop", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT=accept)
    assert response["Content-Type"] == "application/json" and body(response)["error"]["code"] == "conflict"


def test_without_the_setting_accept_changes_nothing(use_style: Any, raised: Raise) -> None:
    use_style("causeloop")
    response = raised(lambda: Conflict(), path="/api/plain/raise", HTTP_ACCEPT=PREFERS_PROBLEM)
    assert response["Content-Type"] == "application/json" and body(response)["error"]["code"] == "conflict"
    assert "Vary" not in response


def test_negotiated_problems_keep_the_configured_request_id_format(use_style: Any, raised: Raise) -> None:
    use_style("helpdesk", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), HTTP_ACCEPT=PREFERS_PROBLEM)
    got = body(response)
    assert got["code"] == "conflict"  # problem details spell codes as the registry does, whatever the style
    assert REQ_ID.fullmatch(got["trace_id"]) and got["trace_id"] == response["X-Request-Id"]


def test_negotiation_covers_plain_django_views_too(use_style: Any, raised: Raise) -> None:
    use_style("identity", NEGOTIATE_PROBLEM_DETAILS=True)
    response = raised(lambda: Conflict(), path="/api/plain/raise", HTTP_ACCEPT=PREFERS_PROBLEM)
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM_JSON
    assert body(response)["trace_id"] == response["X-Request-ID"]
    assert response["Vary"] == "Accept"  # caches must not serve one client's format to the other
