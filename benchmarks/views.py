"""The benchmarked views, written once and served twice: under ``/app/...`` and ``/plain/...``.

Two thin subclasses of each view differ only in ``get_exception_handler``: the app's handler for
``/app/``, DRF's default ``rest_framework.views.exception_handler`` for ``/plain/``. Each configuration
resolves against its own URLconf (``urls_app`` / ``urls_plain``, one prefix each) so that URL resolving
costs the same in both; ``urls`` (``ROOT_URLCONF``) holds both prefixes for anything else.

The ``/app/`` views keep the app's throttle (``DEFAULT_THROTTLE_CLASSES``: ``RateLimitRuleThrottle``); the
``/plain/`` ones have none. For the rate-limit rows, ``/app/success_anon_<cache alias>`` is the success view
with DRF's ``AnonRateThrottle`` added, counting on that cache. For the audit rows, ``/app/forbidden`` raises
the app's ``Forbidden`` (a 403 ``forbidden``, an audited code unless ``AUDIT_CODES`` leaves it out). For the
decorator rows, ``/app/success_decorated`` is the success view with django-ratelimit's own ``@ratelimit``
(``key="ip"``, on ``get`` through ``method_decorator``, as django-ratelimit documents for class-based views) and
``/app/success_ruled`` the success view without it, next to it in the URLconf so both resolve alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import Http404
from django.urls import URLPattern, path
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, BaseThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from causeloop_errors.exceptions import Forbidden
from causeloop_errors.handler import exception_handler as app_exception_handler

ExceptionHandler = Callable[[Exception, dict[str, Any]], Any]

SUCCESS_BODY = {"id": 42, "name": "widget", "active": True, "tags": ["a", "b"]}
ANON_RATE = "1000000/h"  # DRF's throttle must never refuse during the benchmark
DECORATOR_GROUP = "bench-decorator"  # django-ratelimit's group of the @ratelimit view (the rule has its own)


class AddressSerializer(serializers.Serializer):
    street = serializers.CharField(max_length=64)
    city = serializers.CharField(max_length=32)
    postcode = serializers.RegexField(r"^[0-9]{5}$")


class CustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=32)
    email = serializers.EmailField()
    address = AddressSerializer()


class LineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=12)
    quantity = serializers.IntegerField(min_value=1)


class OrderSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=16)
    customer = CustomerSerializer()
    lines = LineSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=8), max_length=5)


# Nine invalid fields, up to three levels deep (customer.address.postcode), in a nested list
# (lines.1.quantity) and in a ListField (tags.1).
INVALID_ORDER = {
    "reference": "R" * 40,
    "customer": {
        "name": "Ada",
        "email": "not-an-email",
        "address": {"street": "1 Main St", "city": "", "postcode": "ABC"},
    },
    "lines": [{"sku": "A-1", "quantity": 2}, {"sku": "", "quantity": 0}, {"quantity": "many"}],
    "tags": ["ok", "much-too-long-tag"],
}


class SuccessView(APIView):
    def get(self, request: Request) -> Response:
        return Response(SUCCESS_BODY)


class NotFoundView(APIView):
    def get(self, request: Request) -> Response:
        raise Http404("No Widget matches the given query.")  # what get_object_or_404 raises


class ValidationView(APIView):
    def post(self, request: Request) -> Response:
        serializer = OrderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data, status=201)


class ServerErrorView(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError("boom")


class ForbiddenView(APIView):
    def get(self, request: Request) -> Response:
        raise Forbidden("You may not read this widget.")


VIEWS: dict[str, type[APIView]] = {
    "success": SuccessView,
    "not_found": NotFoundView,
    "validation": ValidationView,
    "server_error": ServerErrorView,
}


def _with_handler(
    view: type[APIView], prefix: str, handler: ExceptionHandler, throttles: list[type[BaseThrottle]]
) -> type[APIView]:
    def get_exception_handler(self: APIView) -> ExceptionHandler:
        return handler

    attributes = {"get_exception_handler": get_exception_handler, "throttle_classes": throttles}
    return type(f"{prefix}{view.__name__}", (view,), attributes)


def anon_throttle(alias: str) -> type[AnonRateThrottle]:
    """Return DRF's ``AnonRateThrottle`` counting on cache ``alias`` (DRF's own default is ``default_cache``)."""
    return type(f"AnonRateThrottle_{alias}", (AnonRateThrottle,), {"cache": caches[alias], "rate": ANON_RATE})


HANDLERS: dict[str, ExceptionHandler] = {"app": app_exception_handler, "plain": drf_exception_handler}


def routes(config: str) -> list[URLPattern]:
    """Return the routes of every view for ``config`` ("app" or "plain"), to include under ``/<config>/``."""
    handler = HANDLERS[config]
    app_throttles = list(api_settings.DEFAULT_THROTTLE_CLASSES)
    throttles: list[type[BaseThrottle]] = app_throttles if config == "app" else []
    patterns = [
        path(name, _with_handler(view, config.title(), handler, throttles).as_view()) for name, view in VIEWS.items()
    ]
    if config == "app":  # after the four benchmarked paths, so that resolving them costs the same as before
        patterns += [
            path(
                f"success_anon_{alias}",
                _with_handler(
                    SuccessView, f"Anon{alias.title()}", handler, [*app_throttles, anon_throttle(alias)]
                ).as_view(),
            )
            for alias in settings.CACHES
        ]
        patterns.append(path("forbidden", _with_handler(ForbiddenView, "App", handler, throttles).as_view()))
        decorated = _with_handler(SuccessView, "Decorated", handler, throttles)  # a fresh class: decorated in place
        limit = ratelimit(group=DECORATOR_GROUP, key="ip", rate=ANON_RATE, block=True)
        patterns.append(path("success_decorated", method_decorator(limit, name="get")(decorated).as_view()))
        patterns.append(path("success_ruled", _with_handler(SuccessView, "Ruled", handler, throttles).as_view()))
    return patterns
