"""Foreign error responses on API paths made envelopes, and the requests refused before any view.

A foreign response keeps what it says: a DRF ``Response``'s own 4xx error data (``from_returned``), or the cause of
a 400 Django answered itself (``request_checks``); else the generic code of its status. Its headers (``Vary``
merged) and cookies are kept, but not those that described the replaced body.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from rest_framework.response import Response

from causeloop_errors.conversion import from_exception, from_returned, from_status
from causeloop_errors.envelope import Failure
from causeloop_errors.exceptions import NotFound
from causeloop_errors.paths_api import is_api_path
from causeloop_errors.request_checks import cause_of_bad_request, slashed_path
from causeloop_errors.responses import render

# Headers that describe the replaced body, not the request's outcome: never carried over.
_NOT_COPIED = {
    "retry-after",  # set from the failure: whole seconds, at least 1 (status_headers.add_status_headers)
    "content-type",
    "content-length",
    "content-encoding",
    "content-language",
    "content-disposition",
    "content-range",
    "etag",
    "last-modified",
}


def refused_early(request: HttpRequest) -> HttpResponseBase | None:
    """A POST (PUT, ...) to an API URL that exists only with a trailing slash: 404 naming it, never a redirect."""
    slashed = slashed_path(request)
    if slashed is None or not is_api_path(request):
        return None
    return render(from_exception(NotFound(f"Not found. Did you mean {slashed}?", details={"url": slashed}), request))


def _foreign_failure(request: HttpRequest, response: HttpResponseBase) -> Failure:
    """The failure a foreign error response stands for: a DRF ``Response``'s own error data, a 400's known cause."""
    if isinstance(response, Response):
        returned = from_returned(response.status_code, getattr(response, "data", None), response.headers)
        if returned is not None:
            return returned
    cause = cause_of_bad_request(request) if response.status_code == 400 else None
    return from_exception(cause, request) if cause is not None else from_status(response.status_code, response.headers)


def as_envelope(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Rewrite a foreign error response as the envelope, keeping its headers and cookies."""
    envelope = render(_foreign_failure(request, response), drf=isinstance(response, Response))
    for name, value in response.headers.items():
        if name.lower() == "vary":  # both vary: the original (e.g. on Cookie) and the envelope (on Accept)
            patch_vary_headers(envelope, [item.strip() for item in value.split(",") if item.strip()])
        elif name.lower() not in _NOT_COPIED and name not in envelope.headers:
            envelope[name] = value
    envelope.cookies = response.cookies
    envelope._resource_closers.extend(response._resource_closers)  # type: ignore[attr-defined]
    if getattr(response, "_has_been_logged", False):
        envelope._has_been_logged = True  # type: ignore[attr-defined]
    return envelope
