"""Django error views that answer with the envelope on API paths and Django's pages elsewhere.

Wire them in the root URLconf (``handler400 = "causeloop_errors.views.bad_request"`` and so on):
Django calls them with the exception raised by a middleware or the URL resolver, so that exception
keeps its own code (a ``Ratelimited`` from a middleware is 429, a ``RequestDataTooBig`` read by
the CSRF middleware is 413). Without them the middleware still answers the generic code of the status.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure

from causeloop_errors.conversion import from_exception, from_status
from causeloop_errors.exceptions import Forbidden
from causeloop_errors.middleware import is_api_path
from causeloop_errors.responses import render

CSRF_FAILED = "CSRF verification failed."


def _envelope(exception: BaseException | None, status: int) -> HttpResponse:
    if isinstance(exception, Exception):
        return render(from_exception(exception))
    return render(from_status(status, {}))


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    """``handler400``: 400 (or 413 for an oversized body) on API paths."""
    if not is_api_path(request):
        return defaults.bad_request(request, exception, template_name)
    return _envelope(exception, 400)


def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    """``handler403``: 403 ``forbidden`` (429 for django-ratelimit's ``Ratelimited``) on API paths."""
    if not is_api_path(request):
        return defaults.permission_denied(request, exception, template_name)
    return _envelope(exception, 403)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    """``handler404``: 404 ``not_found`` on API paths, without the resolver's text."""
    if not is_api_path(request):
        return defaults.page_not_found(request, exception, template_name)
    return _envelope(exception, 404)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: the exception being handled keeps its code; anything unknown is ``internal_error``.

    Django has already reported the exception (signal and log) before calling this view.
    """
    if not is_api_path(request):
        return defaults.server_error(request, template_name)
    return _envelope(sys.exc_info()[1], 500)


def csrf_failure(request: HttpRequest, reason: str = "", template_name: str = "403_csrf.html") -> HttpResponse:
    """Answer a CSRF failure with 403 ``forbidden`` on API paths, Django's page elsewhere.

    Never ``unauthorized``: a client that refreshes its token on 401 would loop.
    """
    if not is_api_path(request):
        return django_csrf_failure(request, reason, template_name)
    return render(from_exception(Forbidden(CSRF_FAILED, details={"reason": reason} if reason else None)))
