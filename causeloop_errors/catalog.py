"""The registry of error codes: code -> HTTP status, default message, description.

Everything the app renders comes from here. The built-in codes are the Causeloop
contract's table plus the statuses it is silent on, described in neutral words; hosts add
theirs through the ``CODES`` setting, where an entry naming a built-in code rewords its
message and description (its status stays), and the configured envelope style adds its
contract's own (``Style.codes``). The first code registered for a status is that
status's generic code, which an unknown code degrades to.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import cache
from typing import Any

from causeloop_errors.codes import BUILTIN, ErrorCode
from causeloop_errors.conf import app_settings
from causeloop_errors.styles import configured_style

logger = logging.getLogger("causeloop_errors")


_BUILTIN_BY_CODE = {entry.code: entry for entry in BUILTIN}


def _host_code(entry: Any) -> ErrorCode:
    builtin = _BUILTIN_BY_CODE.get(str(entry["code"]))
    if builtin is not None:  # reworded: the words are the host's, the status stays the contract's
        if int(entry.get("status", builtin.status)) != builtin.status:
            raise ValueError(entry["code"])
        message = str(entry.get("message", builtin.message))
        return replace(builtin, message=message, description=str(entry.get("description", builtin.description)))
    return ErrorCode(
        code=str(entry["code"]),
        status=int(entry["status"]),
        message=str(entry["message"]),
        description=str(entry.get("description", entry["message"])),
        builtin=False,
    )


@cache
def _registry() -> dict[str, ErrorCode]:
    codes = dict(_BUILTIN_BY_CODE)
    for raw in app_settings.CODES:
        try:
            entry = _host_code(raw)
        except (KeyError, TypeError, ValueError):
            continue  # reported by check causeloop_errors.E005
        if entry.builtin or entry.code not in codes:
            codes[entry.code] = entry
    for entry in configured_style().codes:  # codes of the style's contract, e.g. capi's 402
        codes.setdefault(entry.code, entry)
    return codes


@cache
def _generic_by_status() -> dict[int, ErrorCode]:
    generic: dict[int, ErrorCode] = {}
    for entry in _registry().values():
        generic.setdefault(entry.status, entry)
    return generic


def reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    """Forget the cached registry when ``CAUSELOOP_ERRORS`` changes (tests, reloads)."""
    if setting == "CAUSELOOP_ERRORS":
        _registry.cache_clear()
        _generic_by_status.cache_clear()


def all_codes() -> list[ErrorCode]:
    """Return every registered code, ordered by status then registration."""
    return sorted(_registry().values(), key=lambda entry: entry.status)


def get(code: str) -> ErrorCode | None:
    """Return the registered entry for ``code``, or None."""
    return _registry().get(code)


def generic_for_status(status: int) -> ErrorCode:
    """Return the generic code of ``status``; unregistered statuses fall back by class (4xx/5xx)."""
    generic = _generic_by_status()
    if status in generic:
        return generic[status]
    return generic[500] if status >= 500 else generic[400]


def resolve(code: str | None, status: int) -> ErrorCode:
    """Return the entry to emit for ``code``; an unregistered code degrades to its status's generic code."""
    if code is not None:
        entry = _registry().get(code)
        if entry is not None:
            return entry
        logger.warning("Unregistered error code %r degraded to the generic code of status %s", code, status)
    return generic_for_status(status)
