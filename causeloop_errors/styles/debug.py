"""The ``X-Debug`` member: a stack trace and a timestamp, for staff, in development only.

Given only when Django's ``DEBUG`` is on, ``ALLOW_DEBUG_HEADER`` is on, the request sends
``X-Debug: true`` and its user is active staff. It never holds the request body, headers,
local variables or the exception's message (which can quote secrets): only where the
code was (file, line, function, source line) and the exception's class.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

from django.conf import settings
from django.utils import timezone

from causeloop_errors.conf import app_settings

DEBUG_HEADER = "X-Debug"


def debug_allowed(request: Any) -> bool:
    """Return whether this request may see debug information."""
    if request is None or not settings.DEBUG or not app_settings.ALLOW_DEBUG_HEADER:
        return False
    if str(request.headers.get(DEBUG_HEADER, "")).strip().lower() not in ("true", "1"):
        return False
    user = getattr(request, "user", None)  # DRF copies the user it authenticated onto the Django request
    return bool(user is not None and user.is_active and user.is_staff)


def _stack_trace(exc: BaseException) -> str:
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return "Traceback (most recent call last):\n" + "".join(frames) + kind


def debug_info(request: Any) -> dict[str, Any] | None:
    """Return ``{"stack_trace", "timestamp"}`` for the exception being handled, or None when not allowed."""
    if not debug_allowed(request):
        return None
    info: dict[str, Any] = {}
    exc = sys.exc_info()[1]  # the handler, the middleware and the error views render inside their except block
    if exc is not None:
        info["stack_trace"] = _stack_trace(exc)
    info["timestamp"] = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    return info
