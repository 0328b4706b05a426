"""Tiny views for the envelope-style tests: each raises what the test put in ``RAISE``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import Group, User
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from causeloop_errors.exceptions import APIError

# The test sets this to a function returning the exception the view raises.
RAISE: Callable[[], Exception] = lambda: APIError()  # noqa: E731


class Raises(APIView):
    """GET raises ``RAISE()``; POST reads the body first (malformed JSON fails there)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]

    def get(self, request: Request, **kwargs: Any) -> Response:
        raise RAISE()

    def post(self, request: Request, **kwargs: Any) -> Response:
        request.data  # noqa: B018 - parsing is the point
        raise RAISE()


class Ok(APIView):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username"]


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = Group
        fields = ["id", "name"]


class UserDetail(generics.RetrieveAPIView):
    """A missing user is a 404 whose resource is the queryset's model, ``user``."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    queryset = User.objects.all()
    serializer_class = UserSerializer


class GroupDetail(UserDetail):
    queryset = Group.objects.all()
    serializer_class = GroupSerializer


def plain_raises(request: HttpRequest) -> HttpResponse:
    raise RAISE()


urlpatterns = [
    path("api/styles/raise", Raises.as_view()),
    path("api/styles/ok", Ok.as_view()),
    path("api/users/<int:pk>", UserDetail.as_view()),
    path("api/groups/<int:pk>", GroupDetail.as_view()),
    path("api/plain/raise", plain_raises),
    path("account/12345/msgs/abc", Raises.as_view()),  # RFC 9457's example instance
]

handler400 = "causeloop_errors.views.bad_request"
handler403 = "causeloop_errors.views.permission_denied"
handler404 = "causeloop_errors.views.page_not_found"
handler500 = "causeloop_errors.views.server_error"
