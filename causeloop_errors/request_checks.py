"""What a request's own shape says, so that ``DEBUG`` never changes an answer on an API path.

With ``DEBUG = True`` Django answers some refusals with its technical pages instead of the error views (a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` read by a middleware, a ``Host`` not in ``ALLOWED_HOSTS``), and
``CommonMiddleware`` raises ``RuntimeError`` for a POST whose URL lacks its trailing slash. These functions tell
the middleware the cause from the request itself, as the error views would have known it from the exception.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest
from django.urls import is_valid_path

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def declared_too_big(request: HttpRequest) -> bool:
    """Return whether the body's ``Content-Length`` exceeds ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    length = request.META.get("CONTENT_LENGTH")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not length or limit is None:
        return False
    try:
        return int(length) > limit
    except ValueError:
        return False


def host_disallowed(request: HttpRequest) -> bool:
    """Return whether the request's ``Host`` is refused by ``ALLOWED_HOSTS``."""
    try:
        request.get_host()
    except DisallowedHost:
        return True
    return False


def cause_of_bad_request(request: HttpRequest) -> Exception | None:
    """Return the exception behind a 400 Django answered itself (its technical page under ``DEBUG``), if known.

    A body declared over the limit is taken for the cause of such a 400 even when multipart (whose files alone
    may exceed it): Django's other 400s of its own are a refused ``Host``, checked first, and malformed input.
    """
    if host_disallowed(request):
        return DisallowedHost("Invalid HTTP_HOST header.")
    if declared_too_big(request):
        return RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")
    return None


def slashed_path(request: HttpRequest) -> str | None:
    """Return the path with its trailing slash when only that one exists and the method would lose its body.

    ``CommonMiddleware`` would redirect such a request (a POST whose body the client does not resend) or, with
    ``DEBUG``, raise ``RuntimeError``; the middleware answers 404 naming the URL instead.
    """
    path = request.path_info
    if request.method in SAFE_METHODS or path.endswith("/") or not settings.APPEND_SLASH:
        return None
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return f"{request.path}/" if _needs_slash(urlconf, path) else None


@lru_cache(maxsize=1024)
def _needs_slash(urlconf: Any, path: str) -> bool:
    """``urlconf``: a dotted path or, as a middleware may set ``request.urlconf``, the module itself."""
    return not is_valid_path(path, urlconf) and bool(is_valid_path(f"{path}/", urlconf))
