"""Flatten nested validation errors into dot-paths, one message per path.

DRF reports errors as trees: dicts keyed by field name, lists of messages, and for
lists of items either dicts keyed by integer index (DRF 3.18 ``many=True``,
``ListField``) or lists with ``{}`` placeholders for valid items (older DRF). Both
give ``items.0.name``.

Escaping, so that a key is never mistaken for nesting or for a list index:
a backslash in a key becomes ``\\\\``, a dot becomes ``\\.``, and a key made only of
ASCII digits (a dict key, not a list position) gets a leading backslash: the key
``"1"`` is ``\\1`` while the second item of a list is ``1``. ``__all__`` and
DRF's ``NON_FIELD_ERRORS_KEY`` become ``non_field_errors`` at their depth.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from rest_framework.settings import api_settings

NON_FIELD_ERRORS = "non_field_errors"
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class FieldError:
    """One validation message at its dot-path, with the DRF code that produced it."""

    path: str
    message: str
    code: str | None


def escape_key(key: str) -> str:
    """Return ``key`` as one path segment (see the module docstring for the rule)."""
    escaped = key.replace("\\", "\\\\").replace(".", "\\.") if ("." in key or "\\" in key) else key
    return "\\" + escaped if key.isdigit() and key.isascii() else escaped


def split_path(path: str) -> list[str | int]:
    """Return the keys of a dot-path: list positions as ints, dict keys as strings."""
    segments: list[str | int] = []
    current: list[str] = []
    escaped = False
    chars = iter(path)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
            escaped = True
        elif char == ".":
            segments.append(_typed("".join(current), escaped))
            current, escaped = [], False
        else:
            current.append(char)
    segments.append(_typed("".join(current), escaped))
    return segments


def _typed(segment: str, escaped: bool) -> str | int:
    return int(segment) if not escaped and _DIGITS.fullmatch(segment) else segment


def _segment(key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return str(key)
    key = str(key)
    if key in ("__all__", NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY):
        return NON_FIELD_ERRORS
    return escape_key(key)


def _walk(node: Any, path: tuple[str, ...]) -> Iterator[FieldError]:
    if isinstance(node, dict) or isinstance(node, Mapping):  # noqa: SIM101 - dict first: the common, cheap check
        for key, value in node.items():
            yield from _walk(value, (*path, _segment(key)))
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            if isinstance(item, (Mapping, list, tuple)):
                yield from _walk(item, (*path, str(index)))
            else:
                yield from _walk(item, path)
    elif node is not None:
        dotted = ".".join(path) if path else NON_FIELD_ERRORS
        yield FieldError(dotted, str(node), getattr(node, "code", None))


def flatten(detail: Any) -> list[FieldError]:
    """Return every message in ``detail`` with its dot-path, in the order DRF reported them."""
    return list(_walk(detail, ()))


def first_per_path(errors: list[FieldError]) -> dict[str, str]:
    """Return the contract's ``details`` map: each path with its first message."""
    details: dict[str, str] = {}
    for error in errors:
        details.setdefault(error.path, error.message)
    return details
