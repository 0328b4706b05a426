"""Django's ASGI handler, with the requests it refuses before any middleware runs answered as envelopes.

Under ASGI, Django builds the request before the middleware chain and answers a query string that
is not UTF-8 (400) or a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413) with plain text of its own.
Use ``causeloop_errors.asgi.get_asgi_application()`` in ``asgi.py`` to keep those on the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import django
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase

from causeloop_errors import trace
from causeloop_errors.conversion import from_exception
from causeloop_errors.middleware import expose_headers, is_api_path_info
from causeloop_errors.responses import render
from causeloop_errors.styles import configured_style


class ASGIHandler(DjangoASGIHandler):
    """Answer Django's early refusals on API paths with the envelope and an ``X-Request-Id``."""

    def create_request(
        self, scope: Mapping[str, Any], body_file: IO[bytes]
    ) -> tuple[ASGIRequest, None] | tuple[None, HttpResponseBase]:
        created = super().create_request(scope, body_file)
        refusal = created[1]
        path_info = str(scope.get("path", ""))[len(str(scope.get("root_path", ""))) :]
        if refusal is None or not is_api_path_info(path_info):
            return created
        style = configured_style()
        trace.set_trace_id(style.new_trace_id())
        trace.set_current_request(_stand_in(scope, path_info))  # what the renderer may negotiate on
        cause = RequestDataTooBig() if refusal.status_code == 413 else BadRequest()
        envelope = render(from_exception(cause))
        expose_headers(envelope, (style.request_id_header, "Retry-After"))
        return None, envelope


def _stand_in(scope: Mapping[str, Any], path_info: str) -> HttpRequest:
    """Return a request carrying only what rendering reads (``Accept``, the path): Django refused to build one."""
    request = HttpRequest()
    request.path = request.path_info = path_info
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            request.META["HTTP_ACCEPT"] = value.decode("latin-1")
    return request


def get_asgi_application() -> ASGIHandler:
    """Return the ASGI application, like ``django.core.asgi.get_asgi_application``."""
    django.setup(set_prefix=False)
    return ASGIHandler()
