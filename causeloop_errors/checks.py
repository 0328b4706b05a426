"""System checks of the wiring a host needs (E001 to E003, W001 to W003; the settings: ``settings_checks``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.urls import get_resolver
from django.utils.module_loading import import_string

from causeloop_errors.conf import app_settings
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
