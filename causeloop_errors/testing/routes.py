"""List a URLconf's routes under the API prefixes, each with a concrete path to request.

Parameters are filled with plausible values: ``int`` 1, ``str``/``slug``/``path`` ``x``, ``uuid`` a UUID; a
custom converter or a ``re_path`` group gets the first of those its regex accepts, and a route none fits is left
out, as is a route an earlier pattern shadows. A ``format`` parameter (DRF's format suffixes, ``notes.json``)
gets ``json``, a format DRF renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

BODY_METHODS = ("post", "put", "patch")
_SAMPLES = ("x", "1", "00000000-0000-4000-8000-000000000001")
_FORMAT = "format"  # DRF's format_suffix_patterns name their group so; "x" would be an unknown format (404)
_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its template (``/api/issues/<str:issue_id>``), a concrete path and its view."""

    template: str
    path: str
    view: Callable[..., Any] | None


def _sample(regex: str, name: str = "") -> str | None:
    samples = ("json", *_SAMPLES) if name == _FORMAT else _SAMPLES
    return next((value for value in samples if re.fullmatch(regex, value)), None)


def _fill_route(pattern: Any) -> tuple[str, str] | None:
    """Return (template, concrete) segments of a ``path()`` pattern, or None if a parameter has no sample."""
    route = str(pattern)
    samples = {name: _sample(converter.regex, name) for name, converter in pattern.converters.items()}
    if None in samples.values():
        return None
    return route, _ROUTE_PARAMETER.sub(lambda match: str(samples[match["parameter"]]), route)


def _fill_regex(pattern: Any) -> tuple[str, str] | None:
    """Return (template, concrete) segments of a ``re_path()`` pattern, or None if no sample matches."""
    from django.utils.regex_helper import normalize

    regex = pattern.regex
    for form, parameters in normalize(regex.pattern):
        for value in _SAMPLES:
            concrete = form % {name: "json" if name == _FORMAT else value for name in parameters}
            if regex.search(concrete):
                return str(pattern).lstrip("^").removesuffix("$"), concrete
    return None


def _segments(pattern: Any) -> tuple[str, str] | None:
    from django.urls.resolvers import LocalePrefixPattern, RoutePattern

    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix, pattern.language_prefix
    return _fill_route(pattern) if isinstance(pattern, RoutePattern) else _fill_regex(pattern)


def _walk(patterns: Any, template: str, path: str) -> Iterator[Route]:
    from django.urls import URLResolver

    for entry in patterns:
        segments = _segments(entry.pattern)
        if segments is None:
            continue
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, template + segments[0], path + segments[1])
        else:
            yield Route(template + segments[0], path + segments[1], entry.callback)


def view_of(path: str) -> Callable[..., Any] | None:
    """Return the view the current URLconf resolves ``path`` to, or None."""
    from django.urls import Resolver404, resolve

    try:
        return resolve(path).func
    except Resolver404:
        return None


def under(path: str, prefixes: Collection[str]) -> bool:
    """Return whether ``path`` is under one of ``prefixes`` (``/api`` is under ``/api/``)."""
    return any(path.startswith(prefix) or path + "/" == prefix for prefix in prefixes)


def api_routes(prefixes: Collection[str]) -> list[Route]:
    """Return the current URLconf's reachable routes under ``prefixes``, one per concrete path."""
    from django.urls import get_resolver

    routes: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns, "/", "/"):
        if under(route.path, prefixes) and route.path not in routes and view_of(route.path) is route.view:
            routes[route.path] = route
    return list(routes.values())


def body_method(view: Callable[..., Any] | None) -> str | None:
    """Return the first of POST, PUT, PATCH a class-based view or viewset handles, or None."""
    actions = getattr(view, "actions", None)  # a DRF viewset's method -> action map
    if isinstance(actions, Mapping):
        return next((method.upper() for method in BODY_METHODS if method in actions), None)
    view_class = getattr(view, "view_class", None)
    if view_class is None:  # a function view: what it accepts is not knowable without calling it
        return None
    allowed = getattr(view_class, "http_method_names", ())
    return next((method.upper() for method in BODY_METHODS if method in allowed and hasattr(view_class, method)), None)
