"""Trace id in, ``X-Request-Id`` out, and the envelope for failures DRF never sees.

Placed first in ``MIDDLEWARE``, so every response passes through it last: unknown
URLs, exceptions from plain Django views and from the middleware below, Django's
CSRF and ``DisallowedHost`` failures, and any other non-envelope error response on
an API path are rewritten as the envelope. Other paths keep Django's pages. An
exception from a middleware below reaches this one only as a status, unless the
error views of ``causeloop_errors.views`` are wired, which render it with its code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase

from causeloop_errors import hooks, signals, trace
from causeloop_errors.conf import app_settings
from causeloop_errors.conversion import from_exception
from causeloop_errors.exceptions import APIError
from causeloop_errors.paths_api import is_api_path, is_api_path_info
from causeloop_errors.reporting import report_unexpected
from causeloop_errors.responses import RESPONSE_HEADERS_ATTRIBUTE, failure_of, is_envelope, render, render_minimal
from causeloop_errors.rewrite import as_envelope, refused_early
from causeloop_errors.styles import Style, configured_style

logger = logging.getLogger("causeloop_errors")

__all__ = ["MIDDLEWARE_PATH", "ErrorEnvelopeMiddleware", "expose_headers", "is_api_path", "is_api_path_info"]

MIDDLEWARE_PATH = "causeloop_errors.middleware.ErrorEnvelopeMiddleware"
EXPOSED_HEADERS = ("X-Request-Id", "Retry-After")


@lru_cache(maxsize=64)
def _joined(names: tuple[str, ...]) -> str:
    return ", ".join(names)  # the same few tuples on every response: joined once


def expose_headers(response: HttpResponseBase, names: tuple[str, ...] = EXPOSED_HEADERS) -> None:
    """Append ``names`` to ``Access-Control-Expose-Headers``, keeping what is there."""
    existing = response.get("Access-Control-Expose-Headers")
    if not existing:
        response["Access-Control-Expose-Headers"] = _joined(names)
        return
    current = [item.strip() for item in existing.split(",") if item.strip()]
    known = {item.lower() for item in current}
    missing = [name for name in names if name.lower() not in known]
    if missing:
        response["Access-Control-Expose-Headers"] = ", ".join(current + missing)


def _start_trace(request: HttpRequest, style: Style) -> str:
    incoming = request.META.get("HTTP_X_REQUEST_ID")
    if app_settings.TRUST_REQUEST_ID_HEADER and trace.is_valid_incoming_id(incoming):
        trace_id = str(incoming)
    else:
        trace_id = style.new_trace_id()  # e.g. req_-prefixed: the one id of logs, audit and body
    trace.set_trace_id(trace_id)
    trace.set_current_request(request)
    return trace_id


class ErrorEnvelopeMiddleware:
    """Give each request a trace id and every API failure the envelope."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        style = configured_style()  # looked up once per request: the id's format and its header's name
        trace_id = _start_trace(request, style)
        early = refused_early(request)
        response = early if early is not None else self.get_response(request)
        return self._finish(request, response, trace_id, style.request_id_header)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        style = configured_style()
        trace_id = _start_trace(request, style)
        early = refused_early(request)
        response = early if early is not None else await self.get_response(request)
        return await self._afinish(request, response, trace_id, style.request_id_header)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        """Answer an exception from a plain Django view on an API path."""
        if not is_api_path(request):
            return None
        try:
            failure = from_exception(exception, request)
            response = render(failure)
        except Exception as broken:  # report the rendering bug once; the client still gets an envelope
            response = render_minimal()
            report_unexpected(request, response, broken)
            return response
        if failure.unexpected:
            report_unexpected(request, response, exception)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        """Run the feature apps' view guards (e.g. the rate-limit rules decided before the view authenticates)."""
        try:
            for guard in hooks.view_guards():
                guard(request, view_func)
        except APIError as refusal:
            return render(from_exception(refusal, request))
        return None

    @staticmethod
    def _after_view(request: HttpRequest, response: HttpResponseBase) -> None:
        """Announce the envelope sent, then run the feature apps' after-view steps (after the view's rollback)."""
        failure = failure_of(response)
        if failure is not None:
            results = signals.error_emitted.send_robust(
                sender=ErrorEnvelopeMiddleware,
                request=request,
                code=failure.error.code,
                status=failure.status,
                details=failure.details,
            )
            for receiver, outcome in results:  # a receiver's failure never changes the response
                if isinstance(outcome, Exception):
                    logger.error("error_emitted receiver %r failed", receiver, exc_info=outcome)
        for step in hooks.after_view_steps():
            if step.pending(request):
                try:
                    step.run(request)
                except Exception:  # a feature's step never changes the response
                    logger.exception("after-view step %r failed", step.run)

    @staticmethod
    def _needs_after_view(request: HttpRequest, response: HttpResponseBase) -> bool:
        if failure_of(response) is not None:
            return True
        for step in hooks.after_view_steps():  # noqa: SIM110  # a loop, not any(generator): on every response
            if step.pending(request):
                return True
        return False

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, trace_id: str, id_header: str
    ) -> HttpResponseBase:
        response = self._rewrite(request, response, trace_id, id_header)
        if self._needs_after_view(request, response):  # most successes have nothing to announce or write
            self._after_view(request, response)
        return self._decorate(request, response, id_header)

    async def _afinish(
        self, request: HttpRequest, response: HttpResponseBase, trace_id: str, id_header: str
    ) -> HttpResponseBase:
        response = self._rewrite(request, response, trace_id, id_header)
        if self._needs_after_view(request, response):  # receivers and the audit writer use the database
            await sync_to_async(self._after_view, thread_sensitive=True)(request, response)
        return self._decorate(request, response, id_header)

    @staticmethod
    def _rewrite(request: HttpRequest, response: HttpResponseBase, trace_id: str, id_header: str) -> HttpResponseBase:
        if response.status_code >= 400 and not is_envelope(response) and is_api_path(request):
            try:
                response = as_envelope(request, response)
            except Exception:  # never let the envelope itself break a response
                logger.exception("causeloop_errors could not rewrite an error response")
                response = render_minimal()
                response._has_been_logged = True  # type: ignore[attr-defined]  # the record above is the one
        response[id_header] = trace_id
        return response

    @staticmethod
    def _decorate(request: HttpRequest, response: HttpResponseBase, id_header: str) -> HttpResponseBase:
        extra = getattr(request, RESPONSE_HEADERS_ATTRIBUTE, None)  # e.g. a policy's grace-period warning
        if extra:
            for name, value in extra.items():
                response[name] = value
        # On every response, not only those to a request with Origin: a cache may serve one to the other.
        expose_headers(response, (id_header, "Retry-After", *(extra or ())))
        return response
