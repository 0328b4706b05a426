"""Request bodies of the example API and the JSON shapes of its resources.

Field messages for issues follow the Causeloop contract's example word for word.
"""

from __future__ import annotations

import math
from typing import Any

from rest_framework import serializers

from example_project.demo.models import Connector, Scope, Severity

FIELD_REQUIRED = "field required"
NOT_AN_ENUM_MEMBER = "value is not a valid enumeration member"
CONNECTOR_TYPES = ("github", "jira", "slack", "webhook")


class PasswordGrantSerializer(serializers.Serializer):
    """``POST /auth/token``; ``otp``, when not empty, is a code of one of the user's confirmed MFA devices."""

    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    workspace = serializers.CharField(max_length=50)
    scope = serializers.ChoiceField(choices=Scope.choices, default=Scope.READ_WRITE)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True, allow_null=True)


class TokenExchangeSerializer(serializers.Serializer):
    """``POST /auth/exchange`` (RFC 8693); ``grant_type`` and ``subject_token_type`` are accepted and ignored."""

    subject_token = serializers.CharField(max_length=4096)
    workspace = serializers.CharField(max_length=50)


class TotpConfirmSerializer(serializers.Serializer):
    """``POST /api/me/mfa/totp/confirm``."""

    code = serializers.CharField(max_length=16)


class IssueSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", read_only=True)
    title = serializers.CharField(max_length=200, error_messages={"required": FIELD_REQUIRED})
    severity = serializers.ChoiceField(
        choices=Severity.choices, default=Severity.MEDIUM, error_messages={"invalid_choice": NOT_AN_ENUM_MEMBER}
    )
    created = serializers.DateTimeField(read_only=True)


class ServiceAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=100)


class ConnectorConfigSerializer(serializers.Serializer):
    """A connector's settings: ``api_key`` is required and write-only; other keys pass through."""

    api_key = serializers.CharField(max_length=256, write_only=True)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        validated = dict(super().to_internal_value(data))
        extra = {key: value for key, value in data.items() if key not in self.fields}
        unstorable = {key: UNSTORABLE for key, value in extra.items() if not _storable_at_any_depth({key: value})}
        if unstorable:
            raise serializers.ValidationError(unstorable)
        return {**extra, **validated}


UNSTORABLE = "Holds a value that cannot be stored: a number out of range, a NUL character or a lone surrogate."


def _storable_at_any_depth(value: Any) -> bool:
    """Return whether ``value`` is storable; nesting too deep to walk is not."""
    try:
        return _storable(value)
    except RecursionError:
        return False


def _storable(value: Any) -> bool:
    """Return whether a free-form JSON value can be stored as JSON on every database (PostgreSQL is strictest)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value and not any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return all(_storable(key) and _storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_storable(item) for item in value)
    return True


class ConnectorSpecSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=CONNECTOR_TYPES, error_messages={"invalid_choice": NOT_AN_ENUM_MEMBER})
    config = ConnectorConfigSerializer()


class ConnectorSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    connector = ConnectorSpecSerializer()
    tags = serializers.ListField(child=serializers.CharField(max_length=32), max_length=20, default=list)

    def to_representation(self, instance: Connector) -> dict[str, Any]:
        """Return the connector as stored: its config never held the ``api_key``."""
        return {
            "id": instance.pk,
            "name": instance.name,
            "connector": {"type": instance.type, "config": instance.config},
            "tags": instance.tags,
            "created": serializers.DateTimeField().to_representation(instance.created),
        }
