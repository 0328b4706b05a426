"""Check that the failures nobody writes a test for answer with envelopes, on every route under the API prefixes.

Three probes per route: an unknown HTTP method, a body in a media type no parser reads (class-based views with
``POST``, ``PUT`` or ``PATCH``) and an unknown sub-path (unless another route takes it; with a trailing slash after
a route that has one, as ``APPEND_SLASH`` would otherwise redirect); and one unknown path right under each prefix.
Each answer must be an envelope of an accepted status (authentication, permissions, policies and throttles may
answer first).
"""

from __future__ import annotations

import fnmatch
import uuid
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from causeloop_errors.testing.assertions import Shape, causeloop_error, read_error
from causeloop_errors.testing.routes import Route, api_routes, body_method, view_of

UNKNOWN_METHOD = "NOSUCHMETHOD"
UNSUPPORTED_MEDIA_TYPE = "application/x-causeloop-unsupported"
CHECKS = ("unknown_method", "unsupported_media_type", "unknown_subpath")
# Accepted answers, status -> code (None: any code of that status).
UNKNOWN_METHOD_ANSWERS: Mapping[int, str | None] = {405: "method_not_allowed", 401: None, 403: None, 429: None}
UNSUPPORTED_MEDIA_TYPE_ANSWERS: Mapping[int, str | None] = {
    415: "unsupported_media_type",
    401: None,
    403: None,
    404: "not_found",  # a detail view looks its object up before it reads the body
    429: None,
}
UNKNOWN_SUBPATH_ANSWERS: Mapping[int, str | None] = {404: "not_found"}


@dataclass(frozen=True)
class ContractProblem:
    """A request whose answer broke the contract."""

    check: str
    method: str
    path: str
    template: str
    status: int
    envelope: bool  # whether the answer was an envelope at all (False for a success)
    reason: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} (route {self.template}) [{self.check}]: {self.reason}"


@dataclass(frozen=True)
class _Probe:
    check: str
    route: Route
    method: str
    path: str
    answers: Mapping[int, str | None]
    body: dict[str, Any] = field(default_factory=dict)


def _probes(prefixes: Collection[str], suffix: str) -> Iterator[_Probe]:
    for prefix in prefixes:  # right under the prefix, where there may be no route at all
        unknown = f"{prefix.rstrip('/')}/{suffix}"
        if view_of(unknown) is None:
            yield _Probe("unknown_subpath", Route(prefix, prefix, None), "GET", unknown, UNKNOWN_SUBPATH_ANSWERS)
    for route in api_routes(prefixes):
        yield _Probe("unknown_method", route, UNKNOWN_METHOD, route.path, UNKNOWN_METHOD_ANSWERS)
        method = body_method(route.view)
        if method is not None:
            body = {"data": b"\x00not a body anyone parses", "content_type": UNSUPPORTED_MEDIA_TYPE}
            yield _Probe("unsupported_media_type", route, method, route.path, UNSUPPORTED_MEDIA_TYPE_ANSWERS, body)
        # In the URLconf's own style: after a route ending in "/", APPEND_SLASH would redirect a path without one.
        subpath = f"{route.path.rstrip('/')}/{suffix}" + ("/" if route.path.endswith("/") else "")
        if view_of(subpath) in (None, route.view):  # a sibling route may take it (``issues`` -> ``issues/<id>``)
            yield _Probe("unknown_subpath", route, "GET", subpath, UNKNOWN_SUBPATH_ANSWERS)


def _judge(response: Any, answers: Mapping[int, str | None], shape: Shape) -> tuple[bool, str | None]:
    """Return whether ``response`` is an envelope, and why it is not an accepted one (None if it is)."""
    expected = f"expected one of {sorted(answers)}"
    if response.status_code < 400:
        return False, f"status {response.status_code}, {expected}"
    try:
        error = read_error(response, shape=shape)
    except AssertionError as exc:
        return False, f"status {response.status_code}, {str(exc).splitlines()[0]}"
    if response.status_code not in answers:
        return True, f"status {response.status_code} ({error['code']}), {expected}"
    code = answers[response.status_code]
    if code is not None and error["code"] != code:
        return True, f"code {error['code']!r}, expected {code!r}"
    if response.status_code == 405 and not response.headers.get("Allow"):
        return True, "a 405 without an Allow header"
    return True, None


def _skipped(route: Route, skip: Collection[str]) -> bool:
    return any(fnmatch.fnmatchcase(route.template, glob) or fnmatch.fnmatchcase(route.path, glob) for glob in skip)


def check_url_contract(
    client: Any,
    *,
    prefixes: Collection[str] | None = None,
    skip: Collection[str] = (),
    checks: Collection[str] = CHECKS,
    shape: Shape = causeloop_error,
) -> list[ContractProblem]:
    """Send the probes through ``client`` (Django's or DRF's test client); return the problems found.

    ``prefixes`` defaults to the ``API_PATH_PREFIXES`` setting; ``skip`` holds glob patterns matched against a
    route's template (``/api/issues/<str:issue_id>``) and its concrete path (``/api/issues/x``).
    """
    if prefixes is None:
        from causeloop_errors.conf import app_settings

        prefixes = app_settings.API_PATH_PREFIXES
    problems = []
    for probe in _probes(prefixes, f"no-such-thing-{uuid.uuid4().hex[:8]}"):
        if probe.check not in checks or _skipped(probe.route, skip):
            continue
        response = client.generic(probe.method, probe.path, **probe.body)
        envelope, reason = _judge(response, probe.answers, shape)
        if reason is not None:
            where = (probe.check, probe.method, probe.path, probe.route.template)
            problems.append(ContractProblem(*where, response.status_code, envelope, reason))
    return problems


def assert_url_contract(client: Any, **options: Any) -> None:
    """Assert every API route keeps the contract (``options`` as for ``check_url_contract``)."""
    problems = check_url_contract(client, **options)
    assert not problems, f"{len(problems)} contract problem(s):\n" + "\n".join(f"  {p}" for p in problems)
