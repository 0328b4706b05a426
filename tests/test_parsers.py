"""The JSON parser: DRF's, with nesting beyond Python's recursion limit reported as malformed JSON."""

from __future__ import annotations

import io

import pytest
from rest_framework.exceptions import ParseError

from causeloop_errors.parsers import JSONParser


def test_parses_ordinary_json_like_drf() -> None:
    assert JSONParser().parse(io.BytesIO(b'{"a": [1, {"b": null}]}')) == {"a": [1, {"b": None}]}


@pytest.mark.parametrize(
    "body", [b"[" * 100_000, b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000]
)
def test_deep_nesting_is_a_parse_error_not_a_recursion_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(body))


def test_malformed_json_is_still_a_parse_error() -> None:
    with pytest.raises(ParseError):
        JSONParser().parse(io.BytesIO(b'{"a": '))
