"""The error_catalog command, and the README's catalog table kept equal to the registry."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings

from causeloop_errors import catalog
from causeloop_errors.management.commands.error_catalog import markdown_table

README = Path(__file__).resolve().parent.parent / "README.md"


def _run(*args: str) -> str:
    out = StringIO()
    call_command("error_catalog", *args, stdout=out)
    return out.getvalue()


def test_json_output_lists_every_registered_code() -> None:
    entries = json.loads(_run("--format", "json"))
    assert [entry["code"] for entry in entries] == [entry.code for entry in catalog.all_codes()]
    assert {"code": "conflict", "status": 409}.items() <= next(e for e in entries if e["code"] == "conflict").items()


@override_settings(CAUSELOOP_ERRORS={"CODES": [{"code": "insufficient_balance", "status": 402, "message": "m"}]})
def test_markdown_output_includes_host_codes() -> None:
    assert "| `insufficient_balance` | 402 | m | m |" in _run()


def test_readme_catalog_table_is_generated_from_the_registry() -> None:
    text = README.read_text()
    start, end = text.index("<!-- catalog:start -->\n"), text.index("<!-- catalog:end -->")
    assert text[start + len("<!-- catalog:start -->\n") : end].strip() == markdown_table()
