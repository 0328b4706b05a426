"""RFC 9457 problem details: ``application/problem+json``.

``type`` is ``PROBLEM_TYPE_BASE_URL`` followed by the code in kebab case
(``https://docs.example.com/errors/not-found``), or ``about:blank`` when no base is set,
in which case ``title`` is the status phrase as RFC 9457 asks. ``title`` is otherwise the
code's catalog message; ``detail`` is the occurrence's message unless it only repeats the
title or the documented type's default message. Extension members: ``code``, ``trace_id``,
``errors`` (validation messages with a JSON Pointer into the request body) and the
failure's details, one member each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import quote

from django.utils.encoding import escape_uri_path

from causeloop_errors.codes import ErrorCode
from causeloop_errors.conf import app_settings
from causeloop_errors.envelope import Failure
from causeloop_errors.paths import NON_FIELD_ERRORS, split_path
from causeloop_errors.styles.base import Style, details, field_errors

PROBLEM_JSON = "application/problem+json"
STANDARD = ("type", "title", "status", "detail", "instance")
_RESERVED = {*STANDARD, "code", "trace_id", "errors", "details"}
_FRAGMENT_SAFE = "!$&'()*+,;=:@"


def pointer(path: str) -> str:
    """Return the URI-fragment JSON Pointer of a dot-path (an error of a whole object points at the object)."""
    segments = split_path(path)
    if segments and segments[-1] == NON_FIELD_ERRORS:
        segments = segments[:-1]
    escaped = (str(segment).replace("~", "~0").replace("/", "~1") for segment in segments)
    return "#" + "".join("/" + quote(segment, safe=_FRAGMENT_SAFE) for segment in escaped)


class ProblemStyle(Style):
    """``{"type", "title", "status", "detail", "instance", "code", "trace_id", "errors", ...}``."""

    content_type = PROBLEM_JSON
    titles: ClassVar[Mapping[str, str]] = {}  # code -> title, for a host that words its problem types itself

    def problem_type(self, code: str) -> str:
        """Return the ``type`` URI of ``code``."""
        base = app_settings.PROBLEM_TYPE_BASE_URL
        return f"{base}{code.replace('_', '-')}" if base else "about:blank"

    def title(self, failure: Failure, code: str) -> str:
        """Return the short summary of the problem type (the status phrase for ``about:blank``)."""
        if app_settings.PROBLEM_TYPE_BASE_URL is not None:
            return self.titles.get(code, failure.error.message)
        try:
            return HTTPStatus(failure.status).phrase
        except ValueError:  # a status Python does not name
            return "Client Error" if failure.status < 500 else "Server Error"

    def body(self, failure: Failure, trace_id: str, request: Any = None) -> dict[str, Any]:
        """Return the problem details object of ``failure``."""
        code = self.code(failure, request)
        title = self.title(failure, code)
        body: dict[str, Any] = {"type": self.problem_type(code), "title": title, "status": failure.status}
        message = self.message(failure, code)
        documented = app_settings.PROBLEM_TYPE_BASE_URL is not None and failure.message == failure.error.message
        if message != title and not documented:  # a documented type's default message says nothing new
            body["detail"] = message
        path = getattr(request, "path", None)
        if path:
            body["instance"] = escape_uri_path(path)  # a URI reference; the path only: a query may carry tokens
        body["code"] = code
        body["trace_id"] = trace_id
        fields = field_errors(failure)
        extra = details(failure, keep_retry_after=True) or {}
        if fields:
            body["errors"] = [{"detail": item.message, "pointer": pointer(item.path)} for item in fields]
            extra = {key: value for key, value in extra.items() if key == "retry_after"}
        body.update((key, value) for key, value in extra.items() if key not in _RESERVED)
        clashing = {key: value for key, value in extra.items() if key in _RESERVED}
        if clashing:
            body["details"] = clashing
        return body

    def body_schema(self, codes: Sequence[ErrorCode]) -> dict[str, Any]:
        """Return the JSON Schema of a problem details object for ``codes``."""
        item = {
            "type": "object",
            "required": ["detail", "pointer"],
            "properties": {"detail": {"type": "string"}, "pointer": {"type": "string", "pattern": "^#(/.*)?$"}},
        }
        return {
            "type": "object",
            "required": ["type", "title", "status", "code", "trace_id"],
            "properties": {
                "type": {"type": "string", "format": "uri-reference"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "instance": {"type": "string", "format": "uri-reference"},
                "code": self.code_schema(codes),
                "trace_id": {"type": "string"},
                "errors": {"type": "array", "items": item},
                "details": {"type": "object"},
            },
        }
