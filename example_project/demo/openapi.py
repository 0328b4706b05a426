"""The demo API in its OpenAPI document: its bearer scheme and the JSON shapes its views answer with.

The shapes are for the schema only; the views build their bodies themselves. The error responses come
from ``causeloop_errors.openapi.ErrorAutoSchema``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers

from example_project.demo.models import Scope
from example_project.demo.serializers import CONNECTOR_TYPES, IssueSerializer


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Document ``BearerTokenAuthentication`` as an HTTP bearer scheme."""

    target_class = "example_project.demo.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "A token from POST /auth/token or /auth/exchange."}


class TokenGrantSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()
    scope = serializers.ChoiceField(choices=Scope.choices)


class ExchangedTokenGrantSerializer(TokenGrantSerializer):
    issued_token_type = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    workspace = serializers.CharField()
    scope = serializers.ChoiceField(choices=Scope.choices)
    amr = serializers.ListField(child=serializers.CharField())
    is_service_account = serializers.BooleanField()


class TotpEnrollmentSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField()
    key = serializers.CharField()


class TotpConfirmedSerializer(serializers.Serializer):
    confirmed = serializers.BooleanField()


class IssueListSerializer(serializers.Serializer):
    results = IssueSerializer(many=True)


class ConnectorSpecOutSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=CONNECTOR_TYPES)
    config = serializers.DictField(help_text="The connector's settings; the api_key is never stored or echoed.")


class ConnectorOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    connector = ConnectorSpecOutSerializer()
    tags = serializers.ListField(child=serializers.CharField())
    created = serializers.DateTimeField()


class AuditEventSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    trace_id = serializers.CharField(help_text="The trace id (X-Request-Id) of the event's first occurrence.")
    action = serializers.CharField()
    code = serializers.CharField(allow_blank=True)
    status = serializers.IntegerField(allow_null=True)
    actor = serializers.CharField(allow_null=True)
    workspace = serializers.CharField(allow_null=True)
    client_ip = serializers.IPAddressField(allow_null=True)
    method = serializers.CharField(allow_blank=True)
    path = serializers.CharField(allow_blank=True)
    occurrences = serializers.IntegerField()
    last_trace_id = serializers.CharField(
        help_text="The trace id of the event's latest occurrence (its trace_id while it has occurred once)."
    )
    details = serializers.DictField()


class AuditEventListSerializer(serializers.Serializer):
    results = AuditEventSerializer(many=True)
