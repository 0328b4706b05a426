"""The error_catalog command, and the README's catalog table kept equal to the registry."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from causeloop_errors import catalog

README = Path(__file__).resolve().parent.parent / "README.md"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("error_catalog", *args, stdout=out)
    return out.getvalue()


def test_json_output_of_the_example_project_lists_every_registered_code() -> None:
    # The example project wires every feature: the policy permission and the rule throttle are DRF defaults.
    entries = json.loads(_run("--format", "json"))
    assert [entry["code"] for entry in entries] == [entry.code for entry in catalog.all_codes()]
    assert {"code": "conflict", "status": 409}.items() <= next(e for e in entries if e["code"] == "conflict").items()


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "insufficient_balance", "status": 402, "message": "m"}]})
def test_markdown_output_includes_host_codes() -> None:
    assert "| `insufficient_balance` | 402 | m | m |" in _run()


@override_settings(CAUSELOOP_ERRORS={})
def test_readme_catalog_table_is_the_builtin_catalog() -> None:
    # The README documents the built-in catalog, which is what a host starts with (the example project rewords four
    # descriptions, hence no settings here). Regenerate the README's copy with: python manage.py error_catalog --all
    assert all(entry.builtin for entry in catalog.all_codes())
    text = README.read_text()
    start, end = text.index("<!-- catalog:start -->\n"), text.index("<!-- catalog:end -->")
    assert text[start + len("<!-- catalog:start -->\n") : end].strip() == _run("--all").strip()


@override_settings(
    ROOT_URLCONF="tests.urls_unwired",
    REST_FRAMEWORK={"DEFAULT_PERMISSION_CLASSES": []},
    CAUSELOOP_ERRORS={"OPENAPI_RATE_LIMIT_ALL_OPERATIONS": False},  # as if the rate-limit app were not installed
)
def test_a_project_without_policies_or_throttles_lists_neither_their_codes_nor_needs_all_to_see_them() -> None:
    listed = [entry["code"] for entry in json.loads(_run("--format", "json"))]
    assert {"mfa_required", "sso_required", "rate_limited"}.isdisjoint(listed)
    assert {"validation_error", "unauthorized", "forbidden", "not_found", "internal_error"} <= set(listed)
    everything = [entry["code"] for entry in json.loads(_run("--format", "json", "--all"))]
    assert {"mfa_required", "sso_required", "rate_limited"} <= set(everything)


@override_settings(
    ROOT_URLCONF="tests.urls_unwired",
    REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]},
    CAUSELOOP_ERRORS={"OPENAPI_RATE_LIMIT_ALL_OPERATIONS": False},
)
def test_a_drf_throttle_alone_brings_rate_limited_but_not_the_policy_codes() -> None:
    listed = [entry["code"] for entry in json.loads(_run("--format", "json"))]
    assert "rate_limited" in listed
    assert "mfa_required" not in listed


def test_default_output_is_the_markdown_table() -> None:
    assert _run() == _run("--format", "markdown")
    assert _run().splitlines()[0] == "| Code | Status | Default message | Description |"


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "insufficient_balance", "status": 402, "message": "m"}]})
def test_json_output_marks_host_codes() -> None:
    entries = {entry["code"]: entry for entry in json.loads(_run("--format", "json"))}
    assert entries["insufficient_balance"] == {
        "code": "insufficient_balance",
        "status": 402,
        "message": "m",
        "description": "m",
        "builtin": False,
    }
    assert entries["conflict"]["builtin"] is True


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "odd", "status": 418, "message": "a | b\nc"}]})
def test_markdown_cells_escape_pipes_and_newlines() -> None:
    row = next(line for line in _run().splitlines() if line.startswith("| `odd`"))
    assert row == "| `odd` | 418 | a \\| b c | a \\| b c |"


def test_unknown_format_is_refused() -> None:
    with pytest.raises(CommandError):
        _run("--format", "yaml")
