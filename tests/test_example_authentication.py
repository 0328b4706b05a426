"""BearerTokenAuthentication: which requests it authenticates, which it leaves alone, which it refuses."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from example_project.demo import tokens
from example_project.demo.authentication import BearerTokenAuthentication
from example_project.demo.models import ApiToken, Membership, Workspace
from tests.contract import assert_envelope

pytestmark = pytest.mark.django_db

BEARER = 'Bearer realm="api"'


def drf_request(authorization: str | None) -> Request:
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return Request(APIRequestFactory().get("/api/me", **headers))


def test_a_valid_bearer_token_authenticates_its_user_with_the_token_as_auth(demo_user: Any, demo_token: str) -> None:
    result = BearerTokenAuthentication().authenticate(drf_request(f"Bearer {demo_token}"))

    assert result is not None
    user, auth = result
    assert user == demo_user
    assert isinstance(auth, ApiToken)
    assert auth.digest == hashlib.sha256(demo_token.encode()).hexdigest()


def test_the_scheme_is_case_insensitive(demo_user: Any, demo_token: str) -> None:
    assert BearerTokenAuthentication().authenticate(drf_request(f"bearer {demo_token}")) is not None


@pytest.mark.parametrize("authorization", [None, "", "Basic YWxpY2U6ZGVtby1wYXNzd29yZA==", "Token abc"])
def test_no_header_or_another_scheme_is_left_to_other_authenticators(authorization: str | None) -> None:
    assert BearerTokenAuthentication().authenticate(drf_request(authorization)) is None


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("Bearer", "Malformed Authorization header."),
        ("Bearer a b", "Malformed Authorization header."),
        ("Bearer clk_unknown", "Invalid or expired token."),
    ],
)
def test_a_malformed_or_unknown_bearer_token_fails(authorization: str, message: str) -> None:
    with pytest.raises(AuthenticationFailed) as failure:
        BearerTokenAuthentication().authenticate(drf_request(authorization))

    assert str(failure.value.detail) == message


def test_the_challenge_names_the_bearer_scheme() -> None:
    assert BearerTokenAuthentication().authenticate_header(drf_request(None)) == BEARER


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer a b", "Bearer clk_unknown", "Bearer caf\u00e9", "Basic YWxpY2U6eA==", "Bearer  "],
)
def test_every_refused_header_answers_unauthorized_with_a_bearer_challenge(
    api_client: Client, db: None, authorization: str
) -> None:
    response = api_client.get("/api/me", headers={"Authorization": authorization})

    error = assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == BEARER
    assert "clk_" not in error["message"]


def test_an_expired_token_is_unauthorized(api_client: Client, demo_token: str) -> None:
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api_client.get("/api/me", headers={"Authorization": f"Bearer {demo_token}"})

    error = assert_envelope(response, 401, "unauthorized")
    assert error["message"] == "Invalid or expired token."


def test_a_token_of_a_deactivated_user_is_unauthorized(api_client: Client, demo_user: Any, demo_token: str) -> None:
    demo_user.is_active = False
    demo_user.save()

    response = api_client.get("/api/me", headers={"Authorization": f"Bearer {demo_token}"})

    assert_envelope(response, 401, "unauthorized")


def test_a_token_stops_working_when_its_user_leaves_the_workspace(
    api_client: Client, demo_user: Any, demo_workspace: Workspace, demo_token: str
) -> None:
    Membership.objects.filter(user=demo_user, workspace=demo_workspace).delete()

    response = api_client.get("/api/me", headers={"Authorization": f"Bearer {demo_token}"})

    assert_envelope(response, 401, "unauthorized")


def test_a_token_is_stored_only_as_its_sha256_digest(demo_user: Any, demo_workspace: Workspace) -> None:
    minted = tokens.mint(demo_user, demo_workspace, amr=["pwd"])

    row = ApiToken.objects.filter(pk=minted.token.pk).values().get()

    assert row["digest"] == hashlib.sha256(minted.secret.encode()).hexdigest()
    assert minted.secret not in repr(row)
