"""A URLconf whose one DRF view carries neither the app's throttle nor its policy permission (checks W005, W006)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Unwired(APIView):
    permission_classes = [AllowAny]
    throttle_classes: list[type] = []

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [path("api/unwired", Unwired.as_view())]
