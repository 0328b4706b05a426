"""Fixtures shared by the envelope-style tests: choose a style, raise an error in a view, read the body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpResponseBase
from django.test import Client

from tests import style_views

Raise = Callable[..., HttpResponseBase]
REQ_ID = re.compile(r"req_[0-9a-f]{32}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def use_style(settings: Any) -> Callable[..., None]:
    """Return ``use(name, **keys)``: configure the style ``name`` (and other keys) for this test."""
    base = dict(settings.CAUSELOOP_ERRORS)

    def use(name: str, **keys: Any) -> None:
        settings.CAUSELOOP_ERRORS = {**base, "STYLE": name, **keys}

    return use


@pytest.fixture
def raised(api_client: Client, monkeypatch: pytest.MonkeyPatch) -> Raise:
    """Return ``send(make, path=..., method="get", **request)``: the response of a view raising ``make()``."""

    def send(make: Callable[[], Exception], path: str = "/api/styles/raise", method: str = "get", **request: Any):
        monkeypatch.setattr(style_views, "RAISE", make)
        return getattr(api_client, method)(path, **request)

    return send


def body(response: HttpResponseBase) -> Any:
    """Return the JSON body of ``response``."""
    return json.loads(response.content)  # type: ignore[attr-defined]
