"""The ``Style`` base class: how one contract spells a ``Failure`` on the wire.

A style decides only the body: its shape and content type, the spelling of codes, the
messages its contract uses by default, where the validation messages and the retry delay
go, and the format and header name of the request id. Statuses, ``Retry-After``, the
audit events, the logs and the trace id itself are shared by every style.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from causeloop_errors import trace
from causeloop_errors.codes import ErrorCode
from causeloop_errors.envelope import Failure, plain
from causeloop_errors.paths import NON_FIELD_ERRORS, FieldError

INTERNAL_ERROR = ErrorCode("internal_error", 500, "Unexpected server error.", "Unexpected server error.")
RETRY_AFTER = "retry_after"


class Style:
    """Render failures as one contract's body; subclass and override ``body()`` (and ``body_schema()``)."""

    content_type: ClassVar[str] = "application/json"
    request_id_header: ClassVar[str] = "X-Request-Id"
    request_id_prefix: ClassVar[str] = ""  # "": the canonical UUID; "req_": req_ and 32 hex digits
    upper_codes: ClassVar[bool] = False  # UPPER_SNAKE instead of the registry's snake_case
    code_names: ClassVar[Mapping[str, str]] = {}  # registry code -> this contract's code, used as written
    resource_codes: ClassVar[Mapping[tuple[str, str], str]] = {}  # (registry code, resource) -> code
    messages: ClassVar[Mapping[str, str]] = {}  # this contract's code -> the message it uses by default
    codes: ClassVar[tuple[ErrorCode, ...]] = ()  # this contract's codes the built-in catalog lacks

    def new_trace_id(self) -> str:
        """Return a fresh trace id in this contract's request-id format."""
        if not self.request_id_prefix:
            return trace.new_trace_id()
        return self.request_id_prefix + os.urandom(16).hex()

    def code(self, failure: Failure, request: Any = None) -> str:
        """Return the code this contract gives ``failure``."""
        registry = failure.error.code
        if failure.resource is not None:
            mapped = self.resource_codes.get((registry, failure.resource))
            if mapped is not None:
                return mapped
        if registry in self.code_names:
            return self.code_names[registry]
        return registry.upper() if self.upper_codes else registry

    def message(self, failure: Failure, code: str) -> str:
        """Return the message: the raised one, or this contract's default when the catalog's was used."""
        template = self.messages.get(code)
        if template is None or failure.message != failure.error.message:
            return failure.message
        wait = retry_after(failure)
        if "{retry_after}" in template:
            return failure.message if wait is None else template.replace("{retry_after}", str(wait))
        return template

    def spellings(self, entry: ErrorCode) -> list[str]:
        """Return every code this contract may answer for the registry entry ``entry``."""
        spelled = [self.code(Failure(entry, entry.status, entry.message))]
        spelled += [code for (registry, _), code in self.resource_codes.items() if registry == entry.code]
        return spelled

    def code_schema(self, codes: Iterable[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of this contract's code member for ``codes``."""
        spelled = sorted({code for entry in codes for code in self.spellings(entry)})
        return {"type": "string", "enum": spelled}

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return the JSON body for ``failure``."""
        raise NotImplementedError

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of the body for failures with ``codes``."""
        raise NotImplementedError

    def minimal_body(self, trace_id: str) -> dict[str, Any]:
        """Return the body of last resort: an ``internal_error`` built without the catalog."""
        return self.body(Failure(INTERNAL_ERROR, 500, INTERNAL_ERROR.message, unexpected=True), trace_id)


def retry_after(failure: Failure) -> int | None:
    """Return the whole seconds a client should wait, or None."""
    value = (failure.details or {}).get(RETRY_AFTER)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def details(failure: Failure, keep_retry_after: bool = False) -> dict[str, Any] | None:
    """Return the details as plain JSON, without the wait and without a message that only repeats ``message``."""
    found = dict(failure.details or {})
    if not keep_retry_after:
        found.pop(RETRY_AFTER, None)
    if found == {NON_FIELD_ERRORS: failure.message}:
        return None  # the filler every validation error gets when it names no field
    return plain(found) or None


def field_errors(failure: Failure) -> list[FieldError]:
    """Return the validation messages with their dot-paths: every one when known, else the first per path."""
    if failure.field_errors:
        return list(failure.field_errors)
    if failure.error.code != "validation_error" or details(failure) is None:
        return []
    return [FieldError(str(path), str(message), None) for path, message in (failure.details or {}).items()]


def field_name(path: str) -> str | None:
    """Return the field a dot-path names, or None for an error of the whole body."""
    if path == NON_FIELD_ERRORS:
        return None
    suffix = "." + NON_FIELD_ERRORS
    return path[: -len(suffix)] if path.endswith(suffix) else path
