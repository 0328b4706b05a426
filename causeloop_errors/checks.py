"""System checks: the wiring a host needs, and the values it gave. Ids are stable."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import get_resolver
from django.utils.module_loading import import_string

from causeloop_errors import catalog, styles
from causeloop_errors.conf import DEFAULTS, app_settings
from causeloop_errors.negotiation import ProblemDetailsNegotiation

HANDLER = "causeloop_errors.handler.exception_handler"
MIDDLEWARE = "causeloop_errors.middleware.ErrorEnvelopeMiddleware"
NEGOTIATION = "causeloop_errors.negotiation.ProblemDetailsNegotiation"


def check_exception_handler(**kwargs: Any) -> list[CheckMessage]:
    """E001: DRF must hand its exceptions to the app's handler."""
    configured = getattr(settings, "REST_FRAMEWORK", {}).get("EXCEPTION_HANDLER")
    if configured == HANDLER:
        return []
    return [
        Error(
            "DRF's EXCEPTION_HANDLER is not the causeloop_errors handler.",
            hint=f'Set REST_FRAMEWORK["EXCEPTION_HANDLER"] = "{HANDLER}".',
            id="causeloop_errors.E001",
        )
    ]


def check_middleware(**kwargs: Any) -> list[CheckMessage]:
    """E002/E003: the middleware must be installed, and first so it sees every response last."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    if MIDDLEWARE not in middleware:
        return [
            Error(
                "ErrorEnvelopeMiddleware is not installed.",
                hint=f'Add "{MIDDLEWARE}" as the first entry of MIDDLEWARE.',
                id="causeloop_errors.E002",
            )
        ]
    if middleware[0] != MIDDLEWARE:
        return [
            Error(
                "ErrorEnvelopeMiddleware is not the first entry of MIDDLEWARE.",
                hint="Move it first so failures of every other middleware reach it.",
                id="causeloop_errors.E003",
            )
        ]
    return []


ERROR_VIEWS = {
    400: "causeloop_errors.views.bad_request",
    403: "causeloop_errors.views.permission_denied",
    404: "causeloop_errors.views.page_not_found",
    500: "causeloop_errors.views.server_error",
}
PARSER = "causeloop_errors.parsers.JSONParser"


def _dotted(view: Any) -> str:
    return f"{getattr(view, '__module__', '')}.{getattr(view, '__name__', '')}"


def check_error_views(**kwargs: Any) -> list[CheckMessage]:
    """W001: without the app's error views, exceptions from middleware keep only their status."""
    resolver = get_resolver()
    missing = [
        f"handler{status} = {view!r}"
        for status, view in ERROR_VIEWS.items()
        if f"{getattr(resolver.resolve_error_handler(status), '__module__', '')}."
        f"{getattr(resolver.resolve_error_handler(status), '__name__', '')}" != view
    ]
    if not missing:
        return []
    return [
        Warning(
            "The root URLconf does not use causeloop_errors' error views.",
            hint="Exceptions raised by middleware then keep only their status. Add to the root URLconf: "
            + "; ".join(missing),
            id="causeloop_errors.W001",
        )
    ]


def check_json_parser(**kwargs: Any) -> list[CheckMessage]:
    """W002: DRF's own JSONParser answers deeply nested JSON with a 500."""
    parsers = getattr(settings, "REST_FRAMEWORK", {}).get(
        "DEFAULT_PARSER_CLASSES", ["rest_framework.parsers.JSONParser"]
    )
    if "rest_framework.parsers.JSONParser" not in parsers:
        return []
    return [
        Warning(
            "DEFAULT_PARSER_CLASSES uses DRF's JSONParser, which crashes (500) on deeply nested JSON.",
            hint=f'Use "{PARSER}" in its place in REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"].',
            id="causeloop_errors.W002",
        )
    ]


def check_problem_negotiation(**kwargs: Any) -> list[CheckMessage]:
    """W003: with problem details negotiable, DRF answers 406 to ``Accept: application/problem+json`` alone."""
    if not app_settings.NEGOTIATE_PROBLEM_DETAILS:
        return []
    chosen = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_CONTENT_NEGOTIATION_CLASS")
    try:
        negotiation = import_string(chosen) if isinstance(chosen, str) else chosen
    except ImportError:
        negotiation = None
    if isinstance(negotiation, type) and issubclass(negotiation, ProblemDetailsNegotiation):
        return []
    return [
        Warning(
            "NEGOTIATE_PROBLEM_DETAILS is on, but DRF's content negotiation answers 406 Not Acceptable to a client "
            "that sends only Accept: application/problem+json, even for a request that would succeed.",
            hint=f'Set REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"] = "{NEGOTIATION}".',
            id="causeloop_errors.W003",
        )
    ]


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
    codes = raw.get("AUDIT_CODES", ())
    if not isinstance(codes, (list, tuple)) or not all(isinstance(code, str) for code in codes):
        problems.append("AUDIT_CODES must be a list of error codes.")
    seconds = raw.get("AUDIT_DEDUP_SECONDS", 60)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 1:
        problems.append("AUDIT_DEDUP_SECONDS must be a whole number of seconds, at least 1.")
    for name in ("AUDIT_FLUSH_SECONDS", "CONFIG_CHECK_SECONDS"):
        value = raw.get(name, 0)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < float("inf"):
            problems.append(f"{name} must be a number of seconds, at least 0.")
    if raw.get("POLICY_CACHE_ALIAS", "default") not in settings.CACHES:
        problems.append("POLICY_CACHE_ALIAS must name a cache of CACHES.")
    return problems


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
