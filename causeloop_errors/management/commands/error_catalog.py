"""Print the error catalog as a Markdown table (the README's copy) or as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from causeloop_errors import catalog


def _cell(text: str) -> str:
    """Return ``text`` safe inside a Markdown table cell (a host's message may hold ``|`` or a newline)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table() -> str:
    """Return the catalog as the Markdown table the README embeds."""
    lines = ["| Code | Status | Default message | Description |", "| --- | --- | --- | --- |"]
    for entry in catalog.all_codes():
        lines.append(f"| `{entry.code}` | {entry.status} | {_cell(entry.message)} | {_cell(entry.description)} |")
    return "\n".join(lines)


def json_entries() -> list[dict[str, Any]]:
    """Return the catalog as JSON-ready dicts; ``builtin`` is False for the host's ``CODES``."""
    return [
        {"code": e.code, "status": e.status, "message": e.message, "description": e.description, "builtin": e.builtin}
        for e in catalog.all_codes()
    ]


class Command(BaseCommand):
    help = "Print every registered error code (built-in and host codes) as Markdown (the default) or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] == "json":
            self.stdout.write(json.dumps(json_entries(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(markdown_table())
