"""TOTP enrollment of the token's user with django-otp: start, then confirm with a code.

Both views are ``policy_exempt``: a workspace that requires MFA blocks a user without a device
everywhere else, and this is how they comply. Confirmation runs outside the request's transaction,
so the failure count django-otp writes for a wrong code (its throttling) survives the error response.
"""

from __future__ import annotations

from base64 import b32encode

from django.db import transaction
from django.utils.decorators import method_decorator
from django_otp import user_has_device, verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from causeloop_errors.exceptions import Conflict, NotFound, ValidationError
from causeloop_errors.policies.permissions import policy_exempt
from example_project.demo import openapi
from example_project.demo.models import ApiToken
from example_project.demo.serializers import TotpConfirmSerializer
from example_project.demo.views import NO_STORE, TokenAPIView

DEVICE_NAME = "default"
ALREADY_ENROLLED = "An MFA device is already confirmed for this user."
NO_ENROLLMENT = "No TOTP enrollment is pending: start one with POST /api/me/mfa/totp."
INVALID_CODE = "Invalid or expired code."


def _refuse_if_enrolled(user: object) -> None:
    """A confirmed device is replaced by an administrator, never by whoever holds a password token."""
    if user_has_device(user, confirmed=True):
        raise Conflict(ALREADY_ENROLLED)


@policy_exempt
class TotpEnrollmentView(TokenAPIView):
    """``POST /api/me/mfa/totp``: a fresh unconfirmed TOTP device; its key is shown this once."""

    error_codes = ("conflict",)

    @extend_schema(request=None, responses={201: openapi.TotpEnrollmentSerializer})
    def post(self, request: Request) -> Response:
        user = request.user
        _refuse_if_enrolled(user)
        TOTPDevice.objects.filter(user=user, name=DEVICE_NAME, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        body = {"otpauth_uri": device.config_url, "key": b32encode(device.bin_key).decode()}
        return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)


@policy_exempt
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class TotpConfirmView(TokenAPIView):
    """``POST /api/me/mfa/totp/confirm`` ``{"code"}``: confirm the pending device; the calling token gains ``otp``."""

    error_codes = ("conflict", "not_found")

    @extend_schema(request=TotpConfirmSerializer, responses=openapi.TotpConfirmedSerializer)
    def post(self, request: Request) -> Response:
        serializer = TotpConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        _refuse_if_enrolled(user)
        pending = TOTPDevice.objects.filter(user=user, name=DEVICE_NAME, confirmed=False).order_by("-pk").first()
        if pending is None:
            raise NotFound(NO_ENROLLMENT)
        device = verify_token(user, pending.persistent_id, serializer.validated_data["code"])
        if device is None:
            raise ValidationError(details={"code": INVALID_CODE})
        token = request.auth
        assert isinstance(token, ApiToken)  # guaranteed by TokenAPIView's authentication and IsAuthenticated
        with transaction.atomic():
            if not TOTPDevice.objects.filter(pk=device.pk, confirmed=False).update(confirmed=True):
                raise NotFound(NO_ENROLLMENT)  # replaced by a concurrent enrollment meanwhile
            if "otp" not in token.amr:  # step-up: the user has just proved possession of the device
                token.amr = [*token.amr, "otp"]
                token.save(update_fields=["amr"])
        return Response({"confirmed": True})
