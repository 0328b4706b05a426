"""A middleware used only by the tests: raises the exception named by the ``X-Explode`` header."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tests.core_views import RAISERS


class ExplodingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.headers.get("X-Explode")
        if name:
            raise RAISERS[name]()
        return self.get_response(request)
