"""Views used only by the core tests: one per failure path the app must render."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import (
    BadRequest,
    DisallowedHost,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import get_object_or_404
from django_ratelimit.exceptions import Ratelimited
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.parsers import FileUploadParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from causeloop_errors import exceptions as errors


class _Open(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class Ok(_Open):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"received": request.data})


class Config(serializers.Serializer):
    api_key = serializers.CharField()


class Connector(serializers.Serializer):
    type = serializers.ChoiceField(choices=["github", "jira"])
    config = Config()


class Item(serializers.Serializer):
    name = serializers.CharField()


class Payload(serializers.Serializer):
    name = serializers.CharField()
    connector = Connector()
    tags = serializers.ListField(child=serializers.CharField(max_length=5))
    items = Item(many=True, required=False)


class Validate(_Open):
    def post(self, request: Request) -> Response:
        serializer = Payload(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


RAISERS: dict[str, Any] = {
    "api_not_found": lambda: errors.NotFound("Issue iss_01abc123 not found", details={"id": "iss_01abc123"}),
    "api_conflict": lambda: errors.Conflict(details={"name": "taken"}),
    "api_rate_limited": lambda: errors.RateLimited(retry_after=2.2),
    "api_unregistered": lambda: type("Odd", (errors.APIError,), {"code": "no_such_code"})("odd"),
    "drf_not_found": lambda: drf.NotFound(),
    "drf_permission": lambda: drf.PermissionDenied(),
    "drf_parse": lambda: drf.ParseError("JSON parse error - Expecting value: line 1 column 9 (char 8)"),
    "drf_throttled": lambda: drf.Throttled(wait=0.2),
    "drf_throttled_unknown": lambda: drf.Throttled(),
    "drf_method": lambda: drf.MethodNotAllowed("PUT"),
    "drf_not_acceptable": lambda: drf.NotAcceptable(),
    "drf_media": lambda: drf.UnsupportedMediaType("text/csv"),
    "drf_validation_str": lambda: drf.ValidationError("Whole request is wrong."),
    "http404": lambda: Http404("No Group matches the given query."),
    "permission_denied": lambda: PermissionDenied(),
    "ratelimited": lambda: Ratelimited(),
    "django_validation": lambda: DjangoValidationError({"__all__": ["Dates overlap."], "start": ["Too early."]}),
    "bad_request": lambda: BadRequest("raw header dump"),
    "suspicious": lambda: SuspiciousOperation("Attempted access to '/etc/passwd' denied."),
    "disallowed_host": lambda: DisallowedHost("Invalid HTTP_HOST header: 'evil.example'."),
    "too_big": lambda: RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."),
    "crash": lambda: RuntimeError("password=hunter2 in SELECT * FROM auth_user"),
}


class Raise(_Open):
    def get(self, request: Request, name: str) -> Response:
        raise RAISERS[name]()


class UpstreamError(drf.APIException):
    """A third-party 400 whose detail is a field map, not a ValidationError."""

    status_code = 400
    default_detail = "Upstream rejected the input."
    default_code = "upstream_invalid"


class UpstreamSlowDown(drf.APIException):
    """A third-party 429 that is not DRF's Throttled."""

    status_code = 429
    default_detail = "Slow down."
    default_code = "too_many_requests"


class UpstreamTokenExpired(drf.APIException):
    """A third-party 401 that is not DRF's AuthenticationFailed."""

    status_code = 401
    default_detail = "Token expired."
    default_code = "token_expired"


class PaymentRequired(drf.APIException):
    status_code = 402
    default_detail = "Top up your balance."
    default_code = "insufficient_balance"


class Teapot(drf.APIException):
    status_code = 418
    default_detail = "I am a teapot."
    default_code = "teapot"


class ThirdParty(_Open):
    def get(self, request: Request, name: str) -> Response:
        if name == "payment":
            raise PaymentRequired()
        if name == "teapot":
            raise Teapot()
        if name == "field-map":
            raise UpstreamError({"email": ["Enter a valid email address."], "address": {"zip": ["Bad zip code."]}})
        if name == "429":
            raise UpstreamSlowDown()
        if name == "401":
            raise UpstreamTokenExpired()
        if name == "dict":
            raise drf.APIException({"detail": "Upstream refused.", "code": "conflict"})
        exc = drf.APIException("Upstream conflict.", code="conflict")
        exc.status_code = 409
        raise exc


class CreatesThenFails(_Open):
    def post(self, request: Request) -> Response:
        Group.objects.create(name="half-done")
        raise errors.Conflict()


class Upload(_Open):
    """A DRF upload endpoint: FileUploadParser streams the body through upload handlers."""

    parser_classes = [FileUploadParser]

    def put(self, request: Request, filename: str) -> Response:
        return Response({"size": request.data["file"].size})


class MissingGroup(_Open):
    def get(self, request: Request) -> Response:
        get_object_or_404(Group, name="nope")
        return Response({})


class SessionOnly(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"user": request.user.get_username()})

    def post(self, request: Request) -> Response:
        return Response({"user": request.user.get_username()})


class BasicOnly(SessionOnly):
    authentication_classes = [BasicAuthentication]


class AlwaysThrottled(BaseThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        return False

    def wait(self) -> float:
        return 12.3


class Throttled(_Open):
    throttle_classes = [AlwaysThrottled]

    def get(self, request: Request) -> Response:
        return Response({})


def plain_raise(request: HttpRequest, name: str) -> HttpResponse:
    raise RAISERS[name]()


def plain_html_404(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("<html><body>" + "<p>Not here.</p>" * 50 + "</body></html>")


def plain_json_error(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"detail": "slow down"}, status=429)
    response["Retry-After"] = "7"
    response.set_cookie("kept", "yes")
    return response


def plain_ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


async def async_raise(request: HttpRequest, name: str) -> HttpResponse:
    raise RAISERS[name]()


async def async_ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def csrf_protected_post(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"fields": sorted(request.POST)})
