"""Print the error catalog as a Markdown table (the README's copy) or as JSON.

By default only the codes the project can answer are listed (``causeloop_errors.wiring``): the policy codes
where a workspace policy is enforced, ``rate_limited`` where a throttle or a rule can refuse. ``--all`` lists
every registered code.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from causeloop_errors import catalog, wiring
from causeloop_errors.codes import ErrorCode


def _cell(text: str) -> str:
    """Return ``text`` safe inside a Markdown table cell (a host's message may hold ``|`` or a newline)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def markdown_table(entries: list[ErrorCode]) -> str:
    """Return ``entries`` as the Markdown table the README embeds."""
    lines = ["| Code | Status | Default message | Description |", "| --- | --- | --- | --- |"]
    for entry in entries:
        lines.append(f"| `{entry.code}` | {entry.status} | {_cell(entry.message)} | {_cell(entry.description)} |")
    return "\n".join(lines)


def json_entries(entries: list[ErrorCode]) -> list[dict[str, Any]]:
    """Return ``entries`` as JSON-ready dicts; ``builtin`` is False for the host's own codes."""
    return [
        {"code": e.code, "status": e.status, "message": e.message, "description": e.description, "builtin": e.builtin}
        for e in entries
    ]


class Command(BaseCommand):
    help = (
        "Print the error codes this project can answer (built-in and host codes) as Markdown (the default) or JSON;"
        " --all: every registered code, including those of features the project does not wire."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["markdown", "json"], default="markdown")
        parser.add_argument("--all", action="store_true", help="list every registered code")

    def handle(self, *args: Any, **options: Any) -> None:
        entries = catalog.all_codes() if options["all"] else wiring.wired_codes()
        if options["format"] == "json":
            self.stdout.write(json.dumps(json_entries(entries), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(markdown_table(entries))
