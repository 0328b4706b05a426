"""Print the error catalog as a Markdown table (the README's copy) or as JSON."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from causeloop_errors import catalog


def markdown_table() -> str:
    """Return the catalog as the Markdown table the README embeds."""
    lines = ["| Code | Status | Default message | Description |", "| --- | --- | --- | --- |"]
    for entry in catalog.all_codes():
        lines.append(f"| `{entry.code}` | {entry.status} | {entry.message} | {entry.description} |")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print every registered error code (built-in and host codes) as Markdown or JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["format"] == "json":
            entries = [
                {"code": e.code, "status": e.status, "message": e.message, "description": e.description}
                for e in catalog.all_codes()
            ]
            self.stdout.write(json.dumps(entries, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(markdown_table())
