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


@override_settings(ROOT_URLCONF="tests.urls_unwired", REST_FRAMEWORK={"DEFAULT_PERMISSION_CLASSES": []})
def test_a_project_whose_views_enforce_no_policy_lists_no_policy_code_but_all_core_codes() -> None:
    listed = [entry["code"] for entry in json.loads(_run("--format", "json"))]
    assert {"mfa_required", "sso_required"}.isdisjoint(listed)
    # the core's codes are all listed: any view may raise them (rate_limited too: DRF throttles, django-ratelimit)
    assert {entry.code for entry in catalog.all_codes() if entry.feature is None} == set(listed)
    everything = [entry["code"] for entry in json.loads(_run("--format", "json", "--all"))]
    assert {"mfa_required", "sso_required"} <= set(everything)


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
