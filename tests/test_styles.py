"""Envelope styles as a whole: choosing one, a host's own, their schemas, and what stays shared."""

from __future__ import annotations

import importlib
import json
import logging
from typing import Any

import jsonschema
import pytest
from django.core.checks import Error
from django.test import Client
from rest_framework import exceptions as drf

from causeloop_errors import catalog, trace
from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.conversion import from_exception
from causeloop_errors.envelope import Failure
from causeloop_errors.exceptions import Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from causeloop_errors.responses import render, render_minimal
from causeloop_errors.settings_checks import check_settings
from causeloop_errors.styles import SHORT_NAMES, Style, configured_style, load
from causeloop_errors.styles.causeloop import CauseloopStyle
from causeloop_errors.styles.helpdesk import HelpdeskStyle
from tests import style_support
from tests.style_support import REQ_ID, Raise, body

pytestmark = [pytest.mark.urls("tests.style_views"), pytest.mark.django_db]

# The shared fixtures, by name.
raised = style_support.raised
use_style = style_support.use_style

STYLES = sorted(SHORT_NAMES)


class TicketStyle(Style):
    """A host's own contract, in a few lines: ``{"ok": false, "reason", "ref"}`` and ``X-Correlation-Id``."""

    request_id_header = "X-Correlation-Id"
    upper_codes = True

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        return {"ok": False, "reason": self.code(failure, request), "ref": trace_id}


class Broken(CauseloopStyle):
    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        raise ValueError("style bug")


@pytest.mark.parametrize("name", STYLES)
def test_every_short_name_loads_its_style(name: str) -> None:
    style = load(name)
    assert isinstance(style, Style) and type(style).__module__ == f"causeloop_errors.styles.{name}"


def test_an_unloadable_style_falls_back_to_the_envelope_and_is_reported(
    use_style: Any, caplog: pytest.LogCaptureFixture, raised: Raise
) -> None:
    use_style("no.such.Style")
    assert isinstance(configured_style(), CauseloopStyle)
    assert "no.such.Style" in caplog.text
    assert body(raised(lambda: Conflict()))["error"]["code"] == "conflict"


@pytest.mark.parametrize("value", ["no.such.Style", "causeloop_errors.envelope.Failure", 42, ""])
def test_check_e005_reports_a_bad_style(settings: Any, value: Any) -> None:
    settings.CAUSELOOP_ERRORS = {"STYLE": value}
    assert [m.id for m in check_settings() if isinstance(m, Error) and "STYLE" in m.msg] == ["causeloop_errors.E005"]


@pytest.mark.parametrize("value", [*STYLES, "tests.test_styles.TicketStyle"])
def test_check_accepts_every_short_name_and_a_host_style(settings: Any, value: str) -> None:
    settings.CAUSELOOP_ERRORS = {"STYLE": value, "NEGOTIATE_PROBLEM_DETAILS": True, "PROBLEM_TYPE_BASE_URL": "/e/"}
    assert check_settings() == []


def test_check_reports_non_boolean_switches_and_a_non_string_base_url(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {
        "NEGOTIATE_PROBLEM_DETAILS": "yes",
        "ALLOW_DEBUG_HEADER": 1,
        "PROBLEM_TYPE_BASE_URL": 3,
    }
    assert len([m for m in check_settings() if m.id == "causeloop_errors.E005"]) == 3


@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_a_host_style_in_a_few_lines(use_style: Any, raised: Raise, api_client: Client) -> None:
    use_style("tests.test_styles.TicketStyle")
    response = raised(lambda: Forbidden())
    ref = response["X-Correlation-Id"]
    assert body(response) == {"ok": False, "reason": "FORBIDDEN", "ref": ref}
    assert "X-Correlation-Id" in response["Access-Control-Expose-Headers"]
    assert AuditEvent.objects.get().trace_id == ref  # the audit trail quotes the id the client saw
    assert api_client.get("/api/styles/ok")["X-Correlation-Id"]


def test_a_broken_host_style_still_answers_the_envelope_of_last_resort(
    use_style: Any, raised: Raise, caplog: pytest.LogCaptureFixture
) -> None:
    use_style("tests.test_styles.Broken")
    response = raised(lambda: Conflict())
    assert response.status_code == 500 and body(response)["error"]["code"] == "internal_error"
    assert body(response)["error"]["trace_id"] == response["X-Request-Id"]
    assert any("style bug" in str(record.exc_info) for record in caplog.records if record.levelno == logging.ERROR)


@pytest.mark.parametrize("name", STYLES)
def test_the_minimal_body_is_in_the_configured_style(use_style: Any, name: str) -> None:
    use_style(name)
    token = trace.set_trace_id("req_0123456789abcdef")
    try:
        response = render_minimal()
    finally:
        trace.reset_trace_id(token)
    assert response.status_code == 500 and response[configured_style().request_id_header] == "req_0123456789abcdef"
    assert json.loads(response.content) == configured_style().minimal_body("req_0123456789abcdef")
    assert response["Content-Type"] == configured_style().content_type


def test_a_trace_id_started_outside_a_request_has_the_styles_format(use_style: Any, no_request_in_flight: None) -> None:
    use_style("helpdesk")
    response = render(from_exception(Conflict()))
    assert (
        REQ_ID.fullmatch(response["X-Request-Id"]) and body(response)["meta"]["requestId"] == response["X-Request-Id"]
    )
    trace.clear_trace_id()


SAMPLES = [
    lambda: NotFound(details={"id": "x"}),
    lambda: NotFound(resource="user"),
    lambda: drf.ValidationError({"a": {"b": ["bad"]}, "c": ["worse"]}),
    lambda: drf.ParseError(),
    lambda: RateLimited(retry_after=3),
    lambda: Unauthorized(),
    lambda: Conflict(details={"type": "clash"}),
    lambda: RuntimeError("boom"),
]


@pytest.mark.parametrize("name", STYLES)
def test_every_body_matches_the_styles_schema_and_foreign_codes_do_not(
    use_style: Any, raised: Raise, name: str
) -> None:
    use_style(name, INCLUDE_FIELD_ERRORS=True)
    schema = configured_style().body_schema(catalog.all_codes())
    jsonschema.Draft202012Validator.check_schema(schema)
    for make in SAMPLES:
        jsonschema.validate(body(raised(make)), schema)
    only_conflict = configured_style().body_schema([catalog.get("conflict")])  # type: ignore[list-item]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body(raised(lambda: NotFound())), only_conflict)


def test_schemas_list_the_per_resource_and_variant_codes(use_style: Any) -> None:
    use_style("identity")
    codes = configured_style().body_schema(catalog.all_codes())["properties"]["error"]["enum"]
    assert {"user_not_found", "invalid_request", "rate_limit_exceeded"} <= set(codes)
    assert "rate_limited" not in codes


@pytest.mark.parametrize("name", STYLES)
@pytest.mark.usefixtures("cross_origin")  # browsers only read exposed headers cross-origin
def test_statuses_and_headers_outside_the_body_are_shared(use_style: Any, raised: Raise, name: str) -> None:
    use_style(name)
    limited = raised(lambda: drf.Throttled(wait=4.2))
    assert (limited.status_code, limited["Retry-After"]) == (429, "5")
    unauthorized = raised(lambda: drf.NotAuthenticated())
    assert (unauthorized.status_code, unauthorized["WWW-Authenticate"]) == (401, 'Bearer realm="api"')
    for response in (limited, unauthorized):
        assert response[configured_style().request_id_header]
        assert "Retry-After" in response["Access-Control-Expose-Headers"]


def test_the_styles_codes_are_in_the_catalog_only_while_it_is_configured(use_style: Any) -> None:
    assert catalog.get("insufficient_balance") is None
    use_style("capi")
    assert catalog.get("insufficient_balance") is not None
    use_style("helpdesk")
    assert catalog.get("insufficient_balance") is None


def test_a_style_can_be_given_as_an_instance_path(use_style: Any, raised: Raise) -> None:
    use_style("tests.test_styles.HELPDESK")
    assert isinstance(configured_style(), HelpdeskStyle)


HELPDESK = HelpdeskStyle()


def test_the_example_project_reads_its_style_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import example_project.settings as demo

    monkeypatch.setenv("CAUSELOOP_STYLE", "capi")
    assert importlib.reload(demo).CAUSELOOP_ERRORS["STYLE"] == "capi"
    monkeypatch.delenv("CAUSELOOP_STYLE")
    assert importlib.reload(demo).CAUSELOOP_ERRORS["STYLE"] == "causeloop"


@pytest.mark.urls("example_project.urls")
@pytest.mark.parametrize("name", STYLES)
def test_the_example_api_answers_in_every_style(use_style: Any, api_client: Client, name: str) -> None:
    use_style(name)
    schema = configured_style().body_schema(catalog.all_codes())
    for response in (api_client.get("/api/nope"), api_client.get("/api/issues"), api_client.get("/api/demo/fail")):
        assert response["Content-Type"] == configured_style().content_type
        jsonschema.validate(body(response), schema)
