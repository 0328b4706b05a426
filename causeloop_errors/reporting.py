"""Report an unexpected exception the way Django does, once, with the trace id on the record."""

from __future__ import annotations

from typing import Any

from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

_EXCEPTION_CLASS = "_causeloop_exception_class"


def report_unexpected(request: Any, response: HttpResponse, exc: BaseException) -> None:
    """Send ``got_request_exception`` and log one ERROR record with the traceback.

    Marking the response as logged stops Django's handler from logging it a second time.
    """
    django_request: HttpRequest | None = getattr(request, "_request", request)
    if django_request is not None:  # the audit trail merges repeated crashes per route and exception class
        setattr(django_request, _EXCEPTION_CLASS, f"{type(exc).__module__}.{type(exc).__qualname__}")
    got_request_exception.send(sender=None, request=django_request)
    path = django_request.path if django_request is not None else "-"
    log_response(
        "%s: %s",
        response.reason_phrase,
        path,
        response=response,
        request=django_request,
        exception=exc,
    )


def exception_class(request: Any) -> str:
    """Return the dotted class name of the unexpected exception reported for ``request`` (``"-"`` if none)."""
    return str(getattr(getattr(request, "_request", request), _EXCEPTION_CLASS, "-"))
