"""The views of the core-alone contract suite: DRF views, plain Django views, a throttle, a serializer."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from causeloop_errors import exceptions


class Item(serializers.Serializer):
    name = serializers.CharField(max_length=10)


class Order(serializers.Serializer):
    items = Item(many=True)


class Orders(APIView):
    def get(self, request: Request) -> Response:
        return Response({"orders": []})

    def post(self, request: Request) -> Response:
        serializer = Order(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.data, status=201)


class ReturnsErrors(APIView):
    """The DRF habit of returning the serializer's errors instead of raising them."""

    def post(self, request: Request) -> Response:
        serializer = Order(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=400)
        return Response(serializer.data, status=201)


CLASSES = {
    cls.code: cls
    for cls in vars(exceptions).values()
    if isinstance(cls, type) and issubclass(cls, exceptions.APIError) and cls is not exceptions.APIError
}


class Raise(APIView):
    def get(self, request: Request, code: str) -> Response:
        raise CLASSES[code]()


class Never(BaseThrottle):
    def allow_request(self, request: Any, view: Any) -> bool:
        return False

    def wait(self) -> float:
        return 7.2


class Throttled(APIView):
    throttle_classes = [Never]

    def get(self, request: Request) -> Response:
        return Response({})


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals")


def plain_missing(request: HttpRequest) -> HttpResponse:
    raise Http404("No Invoice matches the given query.")


def plain_ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("api/orders/", Orders.as_view()),
    path("api/returns-errors/", ReturnsErrors.as_view()),
    path("api/raise/<str:code>", Raise.as_view()),
    path("api/throttled", Throttled.as_view()),
    path("api/plain/crash", plain_crash),
    path("api/plain/missing", plain_missing),
    path("api/plain/ok", plain_ok),
]

handler400 = "causeloop_errors.views.bad_request"
handler403 = "causeloop_errors.views.permission_denied"
handler404 = "causeloop_errors.views.page_not_found"
handler500 = "causeloop_errors.views.server_error"
