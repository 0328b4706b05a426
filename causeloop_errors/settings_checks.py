"""System checks of the values a host gave in ``CAUSELOOP_ERRORS``: E004 unknown names, E005 wrong values."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

from causeloop_errors import catalog, styles
from causeloop_errors.conf import DEFAULTS


def _bad_values(raw: Mapping[str, Any]) -> list[str]:
    problems = []
    prefixes = raw.get("API_PATH_PREFIXES", DEFAULTS["API_PATH_PREFIXES"])
    if not isinstance(prefixes, (list, tuple)) or not all(isinstance(p, str) and p.startswith("/") for p in prefixes):
        problems.append("API_PATH_PREFIXES must be a list of paths starting with '/'.")
    for name in ("TRUST_REQUEST_ID_HEADER", "INCLUDE_FIELD_ERRORS", "NEGOTIATE_PROBLEM_DETAILS", "ALLOW_DEBUG_HEADER"):
        if not isinstance(raw.get(name, False), bool):
            problems.append(f"{name} must be True or False.")
    if raw.get("OPENAPI_RATE_LIMIT_ALL_OPERATIONS") not in (True, False, None):
        problems.append("OPENAPI_RATE_LIMIT_ALL_OPERATIONS must be True, False or None.")
    retry = raw.get("DEFAULT_RETRY_AFTER", 60)
    if not isinstance(retry, int) or isinstance(retry, bool) or retry < 1:
        problems.append("DEFAULT_RETRY_AFTER must be a whole number of seconds, at least 1.")
    if not isinstance(raw.get("WWW_AUTHENTICATE", ""), str) or not raw.get("WWW_AUTHENTICATE", "x"):
        problems.append("WWW_AUTHENTICATE must be a non-empty string.")
    problems.extend(_bad_codes(raw.get("CODES", ())))
    if "STYLE" in raw and (style := styles.style_error(raw["STYLE"])) is not None:
        problems.append(style)
    if not isinstance(raw.get("PROBLEM_TYPE_BASE_URL") or "", str):
        problems.append("PROBLEM_TYPE_BASE_URL must be a URL (string) or None.")
    problems.extend(_bad_policy_values(raw))
    return problems


def _bad_policy_values(raw: Mapping[str, Any]) -> list[str]:
    problems = []
    model = raw.get("WORKSPACE_MODEL")
    if model is not None:
        try:
            apps.get_model(str(model))
        except (LookupError, ValueError):
            problems.append(f"WORKSPACE_MODEL {model!r} is not an installed model ('app_label.Model').")
    for name in ("WORKSPACE_RESOLVER", "AUTH_CONTEXT_RESOLVER", "WORKSPACE_MEMBERS"):
        if raw.get(name) is not None:
            try:
                import_string(str(raw[name]))
            except ImportError:
                problems.append(f"{name} {raw[name]!r} cannot be imported.")
    try:
        re.compile(str(raw.get("WORKSPACE_KEY_PATTERN", "")))
    except re.error:
        problems.append("WORKSPACE_KEY_PATTERN is not a valid regular expression.")
    backends = raw.get("SSO_BACKENDS", ())
    if not isinstance(backends, (list, tuple)) or not all(isinstance(item, str) for item in backends):
        problems.append("SSO_BACKENDS must be a list of dotted paths of authentication backends.")
    for network in (
        raw.get("TRUSTED_PROXIES", ()) if isinstance(raw.get("TRUSTED_PROXIES", ()), (list, tuple)) else [None]
    ):
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            problems.append(f"TRUSTED_PROXIES entry {network!r} is not an IP network.")
    problems.extend(bad_seconds(raw, "CONFIG_CHECK_SECONDS"))
    if raw.get("POLICY_CACHE_ALIAS", "default") not in settings.CACHES:
        problems.append("POLICY_CACHE_ALIAS must name a cache of CACHES.")
    return problems


def bad_seconds(raw: Mapping[str, Any], name: str) -> list[str]:
    """Return the problem of setting ``name`` when it is not a number of seconds, at least 0."""
    value = raw.get(name, 0)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < float("inf"):
        return [f"{name} must be a number of seconds, at least 0."]
    return []


def _bad_codes(codes: Any) -> list[str]:
    if not isinstance(codes, (list, tuple)):
        return ["CODES must be a list of dicts."]
    builtin = {entry.code: entry.status for entry in catalog.BUILTIN}
    problems = []
    for entry in codes:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("code"), str):
            problems.append(f"CODES entry {entry!r} needs a 'code' string.")
        elif entry["code"] in builtin:
            problems.extend(_bad_rewording(entry, builtin[entry["code"]]))
        elif not {"status", "message"} <= entry.keys():
            problems.append(f"CODES entry {entry!r} needs 'code', 'status' and 'message'.")
        elif not all(isinstance(entry.get(key, ""), str) for key in ("message", "description")):
            problems.append(f"CODES entry {entry['code']!r} needs strings for 'message' and 'description'.")
        elif not isinstance(entry["status"], int) or not 400 <= entry["status"] <= 599:
            problems.append(f"CODES entry {entry['code']!r} needs an integer status from 400 to 599.")
    return problems


def _bad_rewording(entry: Mapping[str, Any], status: int) -> list[str]:
    """Return what is wrong with an entry rewording a built-in code (its words change, never its status)."""
    code = entry["code"]
    if "status" in entry and entry["status"] != status:
        return [f"CODES entry {code!r} gives the built-in code status {entry['status']!r}; it keeps {status}."]
    if not {"message", "description"} & entry.keys():
        return [f"CODES entry {code!r} names a built-in code but gives neither 'message' nor 'description'."]
    if not all(isinstance(entry.get(key, ""), str) and entry.get(key, "x") for key in ("message", "description")):
        return [f"CODES entry {code!r} needs non-empty strings for 'message' and 'description'."]
    return []


def check_settings(**kwargs: Any) -> list[CheckMessage]:
    """E004/E005: unknown setting names, and values of the wrong type or range."""
    raw = getattr(settings, "CAUSELOOP_ERRORS", {})
    if not isinstance(raw, Mapping):
        return [Error("CAUSELOOP_ERRORS must be a dict.", id="causeloop_errors.E005")]
    messages: list[CheckMessage] = [
        Error(
            f"Unknown setting CAUSELOOP_ERRORS[{name!r}].",
            hint=f"Known settings: {', '.join(sorted(DEFAULTS))}.",
            id="causeloop_errors.E004",
        )
        for name in raw
        if name not in DEFAULTS
    ]
    messages.extend(
        Error(problem, hint="See the README's Settings section.", id="causeloop_errors.E005")
        for problem in _bad_values(raw)
    )
    return messages
