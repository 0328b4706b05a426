"""DRF's ``EXCEPTION_HANDLER``: every exception a DRF view raises becomes the envelope."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from rest_framework.views import set_rollback

from causeloop_errors.conversion import from_exception
from causeloop_errors.reporting import report_unexpected
from causeloop_errors.responses import render, render_minimal


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse:
    """Convert ``exc``, roll the request's transaction back, respond, and report the unexpected."""
    request = context.get("request")
    try:
        failure = from_exception(exc, request)
        response = render(failure, drf=True)  # a DRF Response: host tests read response.data["error"]
        set_rollback()
        if failure.unexpected:
            report_unexpected(request, response, exc)
        return response
    except Exception as broken:  # the handler never raises: a minimal envelope still goes out
        set_rollback()
        response = render_minimal()
        report_unexpected(request, response, broken)  # once, with the traceback of the rendering bug
        return response
