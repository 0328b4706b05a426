"""Schemathesis against the example project's OpenAPI document, on a live server, over real HTTP.

Every operation of ``/api/schema`` gets Schemathesis's coverage cases and ``MAX_EXAMPLES`` generated requests
(valid and invalid), derandomized with a fixed seed: anonymously (with the bearer tokens it makes up), as the
staff member of the open workspace initech, and as bob in acme, whose MFA requirement he does not meet. Every
answer must be documented (status, body, headers, content type), none may be a 5xx, and every failure must be
the envelope whose ``trace_id`` is its ``X-Request-Id``. The run's figures are printed after the module.

The document is built at collection, as ``/api/schema`` builds it, and Schemathesis makes one test per operation
from it (its lazy ``from_fixture`` loader, which could read the live URL, needs pytest's ``Node._nodeid``, gone in
pytest 9.2); the first test proves that the live server serves exactly that document. Every test has a parameter,
even a single one: pytest 9.2 gives Schemathesis's unparametrized tests one shared node id.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import requests
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from causeloop_errors.ratelimits.models import RateLimitRule
from tests.fuzz_support import (
    Tally,
    bounded_config,
    document,
    failures_are_envelopes,
    known_gap,
    mint_token,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]

DOCUMENT = document()
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(DOCUMENT)), config=bounded_config())

# Each operation's test seeds the demo once and sends all its generated requests to that one live server.
ONE_SETUP_PER_OPERATION = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
DELIBERATE_500 = "GET /api/demo/fail"  # the demo's proof of the 500 envelope: it never answers anything else
RELAXED_RATE = "100000/m"  # the seeded auth-ip rule, loosened so that generated inputs reach the credential views
MEMBERS = {"admin-initech-open": ("admin", "initech"), "bob-acme-mfa-required": ("bob", "acme")}


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """Sum the run over the module's tests and print its figures past pytest's capture."""
    summary = Tally()
    yield summary
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{summary.summary()}")


@pytest.fixture
def seeded(live_server: Any) -> str:
    """Seed the demo (committed, so the live server sees it) and return the live server's URL."""
    call_command("seed_demo", stdout=io.StringIO())
    return str(live_server.url)


@pytest.fixture(params=["auth-ip-relaxed"])
def relaxed(seeded: str) -> str:
    """Loosen the seeded auth-ip rule the way an administrator would, and return the live server's URL."""
    rule = RateLimitRule.objects.get(name="auth-ip")
    rule.rate = RELAXED_RATE
    rule.save()  # committed: the live server reloads its rules on the next request
    return seeded


@pytest.fixture(params=["auth-ip-as-seeded"])
def seeded_limit(seeded: str) -> str:
    """Return the live server's URL with the seeded auth-ip rule as it is: 10 requests a minute per IP on /auth/."""
    return seeded


@pytest.fixture(params=list(MEMBERS))
def member(request: pytest.FixtureRequest, seeded: str) -> dict[str, str]:
    """Return the headers of a member's password token, obtained from ``POST /auth/token`` over HTTP."""
    username, workspace = MEMBERS[request.param]
    return {"Authorization": f"Bearer {mint_token(seeded, username, workspace)}"}


def _exercise(case: schemathesis.Case, base_url: str, tally: Tally, headers: dict[str, str] | None = None) -> None:
    """Send ``case`` and validate the answer: documented, not a 5xx, and a traced envelope when it fails."""
    excluded: list[schemathesis.CheckFunction] = []
    excuses: list[str] = []
    if case.operation.label == DELIBERATE_500:
        excluded.append(not_a_server_error)
        excuses.append("the demo's deliberate 500")
    if gap := known_gap(case):
        excluded.append(positive_data_acceptance)
        excuses.append(gap)
    with tally.counting():
        response = case.call(base_url=base_url, headers=headers)
        tally.answered(case, response, excuses)
        try:
            case.validate_response(
                response,
                additional_checks=[failures_are_envelopes],
                excluded_checks=excluded,
                headers=headers,
                transport_kwargs={"base_url": base_url, "headers": headers},
            )
        except FailureGroup as group:
            tally.failed(case.operation.label, [failure.title for failure in group.exceptions])
            raise


def _answer(status: int, body: Any, content_type: str = "application/json", request_id: str = "7f3a1b2c-1") -> Any:
    """Return a Schemathesis response as the live server would send it, without sending anything."""
    headers = {"content-type": [content_type], "x-request-id": [request_id]}
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = requests.Request("GET", "http://testserver/api/issues").prepare()
    return schemathesis.Response(status, headers, content, request=request, elapsed=0.0, verify=True)


def test_the_envelope_check_refuses_a_failure_traced_by_another_id_than_its_header() -> None:
    body = {"error": {"code": "not_found", "message": "Not found.", "trace_id": "0123abcd-2"}}

    with pytest.raises(AssertionError, match="differs from X-Request-Id"):
        failures_are_envelopes(None, _answer(404, body), case=None)


def test_the_envelope_check_refuses_a_failure_that_is_not_an_envelope() -> None:
    with pytest.raises(AssertionError, match="not JSON"):
        failures_are_envelopes(None, _answer(404, b"<h1>Not Found</h1>", content_type="text/html"), case=None)
    with pytest.raises(AssertionError, match="exactly one member"):
        failures_are_envelopes(None, _answer(400, {"detail": "Bad"}), case=None)


def test_the_envelope_check_passes_a_traced_envelope_and_leaves_successes_alone() -> None:
    body = {"error": {"code": "not_found", "message": "Not found.", "trace_id": "7f3a1b2c-1"}}

    failures_are_envelopes(None, _answer(404, body), case=None)
    failures_are_envelopes(None, _answer(200, b"<html></html>", content_type="text/html"), case=None)


def test_the_fuzzed_document_is_the_one_the_example_project_serves(seeded: str) -> None:
    with urllib.request.urlopen(f"{seeded}/api/schema?format=json", timeout=10) as response:
        served = json.loads(response.read())

    assert served == DOCUMENT


@schema.parametrize()
@ONE_SETUP_PER_OPERATION
def test_an_anonymous_client_gets_only_documented_answers(case: schemathesis.Case, relaxed: str, tally: Tally) -> None:
    _exercise(case, relaxed, tally)


@schema.include(path_regex="^/auth/").parametrize()
@ONE_SETUP_PER_OPERATION
def test_credential_endpoints_under_the_seeded_limit_get_only_documented_answers(
    case: schemathesis.Case, seeded_limit: str, tally: Tally
) -> None:
    _exercise(case, seeded_limit, tally)


@schema.include(path_regex="^/api/(?!demo/)").parametrize()
@ONE_SETUP_PER_OPERATION
def test_a_member_with_a_token_gets_only_documented_answers(
    case: schemathesis.Case, member: dict[str, str], seeded: str, tally: Tally
) -> None:
    _exercise(case, seeded, tally, headers=member)


def test_every_trace_id_the_document_allows_is_accepted_by_the_audit_events_view(seeded: str) -> None:
    parameters = DOCUMENT["paths"]["/api/audit-events"]["get"]["parameters"]
    allowed = next(item["schema"] for item in parameters if item["name"] == "trace_id")
    value = "not a trace id"
    token = mint_token(seeded, "admin", "initech")
    query = urllib.parse.urlencode({"trace_id": value})
    request = urllib.request.Request(f"{seeded}/api/audit-events?{query}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        error.close()
        status = error.code

    document_allows = jsonschema.Draft4Validator(allowed).is_valid(value)
    assert not document_allows or status == 200


def test_every_media_type_the_document_offers_for_a_connector_can_carry_one(seeded: str) -> None:
    offered = DOCUMENT["paths"]["/api/connectors"]["post"]["requestBody"]["content"]
    token = mint_token(seeded, "admin", "initech")
    connector = {"type": "github", "config": {"api_key": "ghp_demo"}}
    # A nested object in multipart/form-data is a JSON part, as clients generated from the document send it.
    parts: dict[str, Any] = {"name": (None, "ci"), "connector": (None, json.dumps(connector), "application/json")}

    response = requests.post(
        f"{seeded}/api/connectors", files=parts, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert "multipart/form-data" not in offered or response.status_code == 201, response.text


def test_a_connector_config_key_no_database_can_store_is_refused_with_a_400(seeded: str) -> None:
    token = mint_token(seeded, "admin", "initech")
    # Found by this fuzzer (once a 500): keys are checked like values; PostgreSQL also refuses "a\x00b".
    config = {"api_key": "ghp_demo", "a\ud800b": 1}
    body = json.dumps({"name": "ci", "connector": {"type": "github", "config": config}})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    response = requests.post(f"{seeded}/api/connectors", data=body, headers=headers, timeout=10)

    assert response.status_code == 400, response.text
