"""MFA in the example API with real django-otp TOTP devices: ``otp`` at /auth/token, and TOTP enrollment.

Codes are computed from the device key as an authenticator app would. Views that verify a code run
outside the request's transaction (so django-otp's throttling survives an error response); tests that
look at the database after such a view failed use a transactional database.
"""

from __future__ import annotations

import json
from base64 import b32encode
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from example_project.demo import tokens
from example_project.demo.models import ApiToken, Workspace
from tests.contract import assert_envelope

pytestmark = pytest.mark.django_db

BAD_CREDENTIALS = "Invalid username, password or workspace."
INVALID_CODE = "Invalid or expired code."
ENROLL = "/api/me/mfa/totp"
CONFIRM = "/api/me/mfa/totp/confirm"


@pytest.fixture
def device(demo_user: Any) -> TOTPDevice:
    """Return alice's confirmed TOTP device."""
    return TOTPDevice.objects.create(user=demo_user, name="default", confirmed=True)


@pytest.fixture
def bob_token(demo_workspace: Workspace) -> str:
    """Return a password-only ``read_write`` token of bob (no MFA device) in ``acme``."""
    bob = get_user_model().objects.create_user("bob", password="demo-password")
    bob.demo_memberships.create(workspace=demo_workspace)
    return tokens.mint(bob, demo_workspace, amr=["pwd"]).secret


def post(client: Client, path: str, body: Any, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def grant(**overrides: Any) -> dict[str, Any]:
    return {"username": "alice", "password": "demo-password", "workspace": "acme", **overrides}


def amr_of(client: Client, token: str) -> list[str]:
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.content
    return list(response.json()["amr"])


# POST /auth/token with otp


def test_a_correct_code_mints_a_token_recorded_as_pwd_and_otp(
    api_client: Client, device: TOTPDevice, demo_totp_code: Callable[..., str]
) -> None:
    response = post(api_client, "/auth/token", grant(otp=demo_totp_code(device)))

    assert response.status_code == 200, response.content
    assert amr_of(api_client, response.json()["access_token"]) == ["pwd", "otp"]


@pytest.mark.parametrize("otp", ["", None])
def test_an_empty_code_is_no_code_and_mints_a_password_token(api_client: Client, device: TOTPDevice, otp: Any) -> None:
    response = post(api_client, "/auth/token", grant(otp=otp))

    assert response.status_code == 200, response.content
    assert amr_of(api_client, response.json()["access_token"]) == ["pwd"]


@pytest.mark.django_db(transaction=True)
def test_a_wrong_code_is_refused_like_a_wrong_password_and_counts_against_the_device(
    api_client: Client, device: TOTPDevice, demo_totp_code: Callable[..., str]
) -> None:
    wrong = str((int(demo_totp_code(device)) + 1) % 1_000_000).zfill(6)

    error = assert_envelope(post(api_client, "/auth/token", grant(otp=wrong)), 401, "unauthorized")

    assert error["message"] == BAD_CREDENTIALS
    assert "details" not in error
    assert not ApiToken.objects.exists()
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp's throttling survived the 401


@pytest.mark.django_db(transaction=True)
def test_a_code_from_a_user_without_a_device_is_refused_like_a_wrong_password(
    api_client: Client, demo_user: Any
) -> None:
    error = assert_envelope(post(api_client, "/auth/token", grant(otp="123456")), 401, "unauthorized")

    assert error["message"] == BAD_CREDENTIALS
    assert not ApiToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_code_with_a_wrong_password_is_refused_without_touching_the_device(
    api_client: Client, device: TOTPDevice, demo_totp_code: Callable[..., str]
) -> None:
    response = post(api_client, "/auth/token", grant(password="wrong", otp=demo_totp_code(device)))

    assert assert_envelope(response, 401, "unauthorized")["message"] == BAD_CREDENTIALS
    device.refresh_from_db()
    assert (device.throttling_failure_count, device.last_t) == (0, -1)  # no lock-out, no code spent


def test_a_code_is_accepted_once(api_client: Client, device: TOTPDevice, demo_totp_code: Callable[..., str]) -> None:
    code = demo_totp_code(device)
    assert post(api_client, "/auth/token", grant(otp=code)).status_code == 200

    replay = post(api_client, "/auth/token", grant(otp=code))

    assert assert_envelope(replay, 401, "unauthorized")["message"] == BAD_CREDENTIALS


def test_an_overlong_code_is_a_validation_error(api_client: Client, device: TOTPDevice) -> None:
    response = post(api_client, "/auth/token", grant(otp="1" * 17))

    assert_envelope(response, 400, "validation_error", {"otp": "Ensure this field has no more than 16 characters."})


# POST /api/me/mfa/totp


def test_enrollment_returns_an_otpauth_uri_and_the_key_of_a_new_unconfirmed_device(
    api_client: Client, bob_token: str
) -> None:
    response = post(api_client, ENROLL, {}, bob_token)

    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    device = TOTPDevice.objects.get(user__username="bob")
    assert not device.confirmed
    assert body["key"] == b32encode(device.bin_key).decode()
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Causeloop%20demo%3Abob")
    assert parse_qs(uri.query)["secret"] == [body["key"]]
    assert body["otpauth_uri"] == device.config_url


def test_enrolling_again_replaces_the_pending_device(api_client: Client, bob_token: str) -> None:
    first = post(api_client, ENROLL, {}, bob_token).json()["key"]

    second = post(api_client, ENROLL, {}, bob_token).json()["key"]

    assert first != second
    assert [b32encode(d.bin_key).decode() for d in TOTPDevice.objects.filter(user__username="bob")] == [second]


def test_enrolling_with_a_confirmed_device_is_a_conflict(
    api_client: Client, device: TOTPDevice, demo_token: str
) -> None:
    response = post(api_client, ENROLL, {}, demo_token)

    assert_envelope(response, 409, "conflict")
    assert list(TOTPDevice.objects.all()) == [device]


def test_enrolling_needs_a_token(api_client: Client, db: None) -> None:
    assert_envelope(post(api_client, ENROLL, {}), 401, "unauthorized")


def test_a_read_token_cannot_enroll(api_client: Client, demo_read_token: str) -> None:
    assert_envelope(post(api_client, ENROLL, {}, demo_read_token), 403, "forbidden")
    assert not TOTPDevice.objects.exists()


# POST /api/me/mfa/totp/confirm


def test_confirming_with_the_right_code_confirms_the_device_and_steps_up_only_the_calling_token(
    api_client: Client, bob_token: str, demo_workspace: Workspace, demo_totp_code: Callable[..., str]
) -> None:
    other_token = tokens.mint(get_user_model().objects.get(username="bob"), demo_workspace, amr=["pwd"]).secret
    post(api_client, ENROLL, {}, bob_token)
    device = TOTPDevice.objects.get(user__username="bob")

    response = post(api_client, CONFIRM, {"code": demo_totp_code(device)}, bob_token)

    assert response.status_code == 200, response.content
    assert response.json() == {"confirmed": True}
    device.refresh_from_db()
    assert device.confirmed
    assert amr_of(api_client, bob_token) == ["pwd", "otp"]
    assert amr_of(api_client, other_token) == ["pwd"]


@pytest.mark.django_db(transaction=True)
def test_confirming_with_a_wrong_code_is_a_validation_error_and_changes_nothing(
    api_client: Client, bob_token: str, demo_totp_code: Callable[..., str]
) -> None:
    post(api_client, ENROLL, {}, bob_token)
    device = TOTPDevice.objects.get(user__username="bob")
    wrong = str((int(demo_totp_code(device)) + 1) % 1_000_000).zfill(6)

    response = post(api_client, CONFIRM, {"code": wrong}, bob_token)

    assert_envelope(response, 400, "validation_error", {"code": INVALID_CODE})
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1
    assert amr_of(api_client, bob_token) == ["pwd"]


@pytest.mark.django_db(transaction=True)
def test_confirming_without_a_pending_enrollment_is_not_found(api_client: Client, bob_token: str) -> None:
    response = post(api_client, CONFIRM, {"code": "123456"}, bob_token)

    assert_envelope(response, 404, "not_found")
    assert amr_of(api_client, bob_token) == ["pwd"]


@pytest.mark.django_db(transaction=True)
def test_confirming_with_a_confirmed_device_is_a_conflict(
    api_client: Client, device: TOTPDevice, demo_token: str, demo_totp_code: Callable[..., str]
) -> None:
    pending = TOTPDevice.objects.create(user=device.user, name="default", confirmed=False)

    response = post(api_client, CONFIRM, {"code": demo_totp_code(pending)}, demo_token)

    assert_envelope(response, 409, "conflict")
    pending.refresh_from_db()
    assert not pending.confirmed
    assert amr_of(api_client, demo_token) == ["pwd"]


def test_confirming_needs_a_code(api_client: Client, bob_token: str) -> None:
    assert_envelope(
        post(api_client, CONFIRM, {}, bob_token), 400, "validation_error", {"code": "This field is required."}
    )
