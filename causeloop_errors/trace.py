"""The request's trace id (and the request in flight): ContextVars, validation of incoming ids, a logging filter."""

from __future__ import annotations

import logging
import os
import re
from contextvars import ContextVar, Token
from typing import Any

_trace_id: ContextVar[str | None] = ContextVar("causeloop_trace_id", default=None)
_request: ContextVar[Any] = ContextVar("causeloop_request", default=None)

_VALID_ID = re.compile(r"[A-Za-z0-9_.:-]{8,128}")  # "_" for ids like req_..., which some styles emit
VALID_ID_PATTERN = f"^{_VALID_ID.pattern}$"  # for documents (OpenAPI); code calls is_valid_incoming_id


def new_trace_id() -> str:
    """Return a fresh trace id: a random (version 4) UUID in its canonical form.

    Built from ``os.urandom`` directly; ``str(uuid.uuid4())`` costs three times as much per request.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_valid_incoming_id(value: str | None) -> bool:
    """Return whether an incoming request id is safe to adopt as the trace id."""
    return value is not None and _VALID_ID.fullmatch(value) is not None


def get_trace_id() -> str | None:
    """Return the current request's trace id, or None outside a request."""
    return _trace_id.get()


def current_or_new_trace_id() -> str:
    """Return the current trace id, starting one if no request set it (e.g. a bare test call)."""
    value = _trace_id.get()
    if value is None:
        value = new_trace_id()
        _trace_id.set(value)
    return value


def set_trace_id(value: str) -> Token[str | None]:
    """Make ``value`` the current trace id; return the token that restores the previous one."""
    return _trace_id.set(value)


def reset_trace_id(token: Token[str | None]) -> None:
    """Restore the trace id that was current before ``set_trace_id``."""
    _trace_id.reset(token)


class TraceIdFilter(logging.Filter):
    """Put ``record.trace_id`` on every log record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = _trace_id.get() or "-"
        return True


def clear_trace_id(**kwargs: object) -> None:
    """Forget the trace id and the request when a request finishes (connected to ``request_finished``)."""
    _trace_id.set(None)
    _request.set(None)


def set_current_request(request: Any) -> None:
    """Remember the request in flight, for receivers of model signals (who changed a policy)."""
    _request.set(request)


def get_current_request() -> Any:
    """Return the request in flight, or None outside a request."""
    return _request.get()
