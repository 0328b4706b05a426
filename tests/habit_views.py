"""Views written the way existing DRF code often is: error data returned, not raised (tests/test_drf_habits.py)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class AddressSerializer(serializers.Serializer[Any]):
    zip = serializers.RegexField(r"^[0-9]{5}$")


class CustomerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=20)
    email = serializers.EmailField()
    address = AddressSerializer()
    tags = serializers.ListField(child=serializers.CharField(max_length=3))


class ReturnsSerializerErrors(APIView):
    """``POST``: the classic ``return Response(serializer.errors, status=400)``."""

    permission_classes = [AllowAny]

    def post(self, request: Request) -> Response:
        serializer = CustomerSerializer(data=request.data)
        if not serializer.is_valid():
            return Response(serializer.errors, status=400)
        return Response(serializer.validated_data, status=201)


# What a view returns, by the name in its URL: (data, status).
RETURNED: dict[str, tuple[Any, int]] = {
    "forbidden": ({"detail": "You do not own this customer."}, 403),
    "unauthorized": ({"detail": "Sign in first."}, 401),
    "conflict": ({"email": ["A customer with this email exists."]}, 409),
    "upstream": ({"detail": "password=hunter2 at db.internal:5432"}, 503),
    "empty": ({}, 400),
}


class ReturnsErrorData(APIView):
    permission_classes = [AllowAny]

    def get(self, request: Request, name: str) -> Response:
        data, status = RETURNED[name]
        return Response(data, status=status)
