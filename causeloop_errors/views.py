"""Django error views that answer with the envelope on API paths."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.csrf import csrf_failure as django_csrf_failure

from causeloop_errors.conversion import from_exception
from causeloop_errors.exceptions import Forbidden
from causeloop_errors.middleware import is_api_path
from causeloop_errors.responses import render

CSRF_FAILED = "CSRF verification failed."


def csrf_failure(request: HttpRequest, reason: str = "", template_name: str = "403_csrf.html") -> HttpResponse:
    """Answer a CSRF failure with 403 ``forbidden`` on API paths, Django's page elsewhere.

    Never ``unauthorized``: a client that refreshes its token on 401 would loop.
    """
    if not is_api_path(request):
        return django_csrf_failure(request, reason, template_name)
    return render(from_exception(Forbidden(CSRF_FAILED, details={"reason": reason} if reason else None)))
