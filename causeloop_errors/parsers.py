"""DRF's JSON and form parsers, with two failures answered by their own codes on every DRF version.

* JSON nested too deeply for Python's decoder is malformed JSON (400), not a ``RecursionError`` (500).
* A body declared over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413 ``payload_too_large``. DRF 3.17 and later read such
  bodies through ``request.body``, where Django refuses them; DRF 3.16 parses the stream directly, so the limit
  was never applied there (the body was parsed, or refused as 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from causeloop_errors.request_checks import declared_too_big


def _refuse_if_too_big(parser_context: Mapping[str, Any] | None) -> None:
    """Raise ``RequestDataTooBig`` when the request's ``Content-Length`` exceeds the in-memory limit."""
    request = (parser_context or {}).get("request")
    if request is not None and declared_too_big(request):
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")


class JSONParser(parsers.JSONParser):
    """Parse JSON like DRF; a ``RecursionError`` (e.g. 10,000 nested ``[``) is a 400, an oversized body a 413."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        _refuse_if_too_big(parser_context)
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.") from None


class FormParser(parsers.FormParser):
    """Parse a URL-encoded form like DRF; an oversized body is a 413 on every DRF version."""

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        _refuse_if_too_big(parser_context)
        return super().parse(stream, media_type, parser_context)
