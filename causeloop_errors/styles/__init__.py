"""Envelope styles: which contract's body an error is rendered in.

``STYLE`` names the configured style (a short name of ``SHORT_NAMES`` or the dotted path
of a ``Style`` subclass); with ``NEGOTIATE_PROBLEM_DETAILS`` a request that prefers
``application/problem+json`` gets RFC 9457 problem details instead. The request id's
format and header name always follow the configured style, so one request has one id.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from django.http.request import MediaType
from django.utils.module_loading import import_string

from causeloop_errors.conf import DEFAULTS, app_settings
from causeloop_errors.styles.base import Style
from causeloop_errors.styles.causeloop import CauseloopStyle
from causeloop_errors.styles.problem import PROBLEM_JSON, ProblemStyle

logger = logging.getLogger("causeloop_errors")

SHORT_NAMES = {
    "causeloop": "causeloop_errors.styles.causeloop.CauseloopStyle",
    "problem": "causeloop_errors.styles.problem.ProblemStyle",
    "identity": "causeloop_errors.styles.identity.IdentityStyle",
    "capi": "causeloop_errors.styles.capi.CapiStyle",
    "helpdesk": "causeloop_errors.styles.helpdesk.HelpdeskStyle",
}
_JSON_OR_WILDCARD = frozenset({"application/json", "application/*", "*/*"})

__all__ = ["SHORT_NAMES", "Style", "configured_style", "load", "style_error", "style_for"]


def _import(name: str) -> Style:
    found = import_string(SHORT_NAMES.get(name, name))
    style = found() if isinstance(found, type) else found
    if not isinstance(style, Style):
        raise TypeError(f"{name!r} is not a causeloop_errors.styles.Style")
    return style


def style_error(name: Any) -> str | None:
    """Return why ``name`` cannot be loaded as a style, or None when it can (for check E005)."""
    if not isinstance(name, str) or not name:
        return f"STYLE must be one of {', '.join(SHORT_NAMES)} or the dotted path of a Style subclass."
    try:
        _import(name)
    except Exception as error:
        return f"STYLE {name!r} cannot be loaded: {error}"
    return None


@cache
def load(name: str) -> Style:
    """Return the style ``name``; one that cannot be loaded falls back to the Causeloop envelope (logged)."""
    try:
        return _import(name)
    except Exception:  # an unknown name, or a host style that cannot be built: never break error responses
        logger.exception("STYLE %r cannot be loaded; using %r", name, DEFAULTS["STYLE"])
        return CauseloopStyle()


def configured_style() -> Style:
    """Return the style of the ``STYLE`` setting."""
    return load(app_settings.STYLE)


def style_for(request: Any) -> Style:
    """Return the style to render this request's error in: problem details when negotiated, else the configured."""
    style = configured_style()
    if request is None or not app_settings.NEGOTIATE_PROBLEM_DETAILS or isinstance(style, ProblemStyle):
        return style
    return load("problem") if _prefers_problem(request) else style


def _prefers_problem(request: Any) -> bool:
    """Return whether the request's ``Accept`` ranks problem details above JSON.

    Like ``HttpRequest.get_preferred_type``, but on the types alone: Django matches a type sent with parameters
    (``application/problem+json; charset=utf-8``) only against the same parameters. A wildcard accepts both
    and leaves the configured style.
    """
    for accepted in getattr(request, "accepted_types", ()):  # most preferred first, q=0 left out, as Django does
        kind = f"{accepted.main_type}/{accepted.sub_type}".lower()
        if kind == PROBLEM_JSON:
            return True
        if kind in _JSON_OR_WILDCARD:  # a wildcard covers both: JSON wins, unless the client refused it (q=0)
            return kind != "application/json" and _refuses_json(request)
    return False


def _refuses_json(request: Any) -> bool:
    """Return whether ``Accept`` names ``application/json`` with ``q=0`` (and not problem details so)."""
    refused = {
        f"{media.main_type}/{media.sub_type}".lower()
        for token in request.headers.get("Accept", "").split(",")
        if token.strip() and (media := MediaType(token)).quality == 0
    }
    return "application/json" in refused and PROBLEM_JSON not in refused
