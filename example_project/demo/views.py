"""Views of the example API. Every failure is raised, never written: causeloop_errors renders it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction
from django.utils.decorators import method_decorator
from django_otp import match_token
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from causeloop_errors.exceptions import Conflict, InvalidGrant, NotFound, Unauthorized
from causeloop_errors.parsers import JSONParser
from causeloop_errors.policies.permissions import EnforceWorkspacePolicy
from example_project.demo import openapi, sso, tokens
from example_project.demo.models import ApiToken, Connector, Issue, ServiceAccount, Workspace
from example_project.demo.permissions import TokenScopePermission, TokenWorkspacePermission
from example_project.demo.serializers import (
    ConnectorSerializer,
    IssueSerializer,
    PasswordGrantSerializer,
    ServiceAccountSerializer,
    TokenExchangeSerializer,
)

BAD_CREDENTIALS = "Invalid username, password or workspace."
DUPLICATE_SERVICE_ACCOUNT = "A service account with this name already exists."
DUPLICATE_CONNECTOR = "A connector with this name already exists."
NO_STORE = {"Cache-Control": "no-store"}


def _token(request: Request) -> ApiToken:
    assert isinstance(request.auth, ApiToken)  # guaranteed by IsAuthenticated and BearerTokenAuthentication
    return request.auth


class TokenAPIView(APIView):
    """A view behind a bearer token, under its workspace's policy; unsafe methods need a ``read_write`` one.

    Views a blocked user needs in order to comply set ``policy_exempt = True``.
    """

    permission_classes = [IsAuthenticated, EnforceWorkspacePolicy, TokenWorkspacePermission, TokenScopePermission]


class PublicAPIView(APIView):
    """A view anyone may call; no credentials are read."""

    authentication_classes = []
    permission_classes = [AllowAny]


# Outside the request's transaction: the failure count django-otp writes for a wrong code must survive the 401.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class PasswordTokenView(PublicAPIView):
    """``POST /auth/token``: a token for a member of a workspace, from username and password (amr ``pwd``).

    With a non-empty ``otp`` that one of the user's confirmed django-otp devices accepts, amr ``pwd otp``.
    """

    error_codes = ("unauthorized",)

    @extend_schema(request=PasswordGrantSerializer, responses=openapi.TokenGrantSerializer)
    def post(self, request: Request) -> Response:
        serializer = PasswordGrantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # One answer for every failure (wrong code and no device included): nothing can be enumerated.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        workspace = Workspace.objects.of_member(user, data["workspace"]) if user is not None else None
        code = data.get("otp")
        if workspace is None or (code and match_token(user, code) is None):
            raise Unauthorized(BAD_CREDENTIALS)
        minted = tokens.mint(user, workspace, amr=["pwd", "otp"] if code else ["pwd"], scope=data["scope"])
        return Response(minted.grant(), headers=NO_STORE)


class TokenExchangeView(PublicAPIView):
    """``POST /auth/exchange``: trade a demo IdP subject token for an access token (amr ``sso``)."""

    error_codes = ("invalid_grant",)

    @extend_schema(request=TokenExchangeSerializer, responses=openapi.ExchangedTokenGrantSerializer)
    def post(self, request: Request) -> Response:
        serializer = TokenExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = sso.subject(serializer.validated_data["subject_token"])
        user = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
        workspace = Workspace.objects.of_member(user, serializer.validated_data["workspace"]) if user else None
        if workspace is None:
            raise InvalidGrant()
        minted = tokens.mint(user, workspace, amr=["sso"])
        return Response({**minted.grant(), "issued_token_type": tokens.ACCESS_TOKEN_TYPE}, headers=NO_STORE)


class MeView(TokenAPIView):
    """``GET /api/me``: who the token belongs to and how it was minted; reachable whatever the policy."""

    policy_exempt = True

    @extend_schema(responses=openapi.MeSerializer)
    def get(self, request: Request) -> Response:
        token = _token(request)
        return Response(
            {
                "username": token.user.get_username(),
                "workspace": token.workspace.slug,
                "scope": token.scope,
                "amr": token.amr,
                "is_service_account": token.is_service_account,
            }
        )


class IssueListView(TokenAPIView):
    """``GET /api/issues`` lists the token's workspace's issues; ``POST`` files one."""

    @extend_schema(operation_id="api_issues_list", responses=openapi.IssueListSerializer)
    def get(self, request: Request) -> Response:
        issues = Issue.objects.in_workspace(_token(request).workspace)
        return Response({"results": IssueSerializer(issues, many=True).data})

    @extend_schema(request=IssueSerializer, responses={201: IssueSerializer})
    def post(self, request: Request) -> Response:
        serializer = IssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = Issue.objects.create(workspace=_token(request).workspace, **serializer.validated_data)
        return Response(IssueSerializer(issue).data, status=status.HTTP_201_CREATED)


class IssueDetailView(TokenAPIView):
    """``GET /api/issues/<id>``: one issue of the token's workspace."""

    @extend_schema(responses=IssueSerializer)
    def get(self, request: Request, issue_id: str) -> Response:
        issue = Issue.objects.find(_token(request).workspace, issue_id)
        if issue is None:
            raise NotFound(f"Issue {issue_id} not found", details={"id": issue_id})
        return Response(IssueSerializer(issue).data)


@contextmanager
def _conflict_on_duplicate(message: str) -> Iterator[None]:
    """Turn a unique-constraint violation of the block into a ``Conflict`` on ``name``.

    The database decides, so concurrent duplicates are caught too; the savepoint keeps the
    request's transaction (ATOMIC_REQUESTS) usable after the IntegrityError.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        if "unique" not in str(error).lower():  # another constraint is a bug to see, not a duplicate to report
            raise
        raise Conflict(message, details={"name": message}) from None


class ServiceAccountListView(TokenAPIView):
    """``POST /api/service-accounts``: a named service account, unique in the workspace."""

    error_codes = ("conflict",)

    @extend_schema(request=ServiceAccountSerializer, responses={201: ServiceAccountSerializer})
    def post(self, request: Request) -> Response:
        serializer = ServiceAccountSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with _conflict_on_duplicate(DUPLICATE_SERVICE_ACCOUNT):
            account = ServiceAccount.objects.create(workspace=_token(request).workspace, **serializer.validated_data)
        return Response(ServiceAccountSerializer(account).data, status=status.HTTP_201_CREATED)


class ConnectorListView(TokenAPIView):
    """``POST /api/connectors``: a connector whose ``api_key`` is accepted but never stored or echoed."""

    error_codes = ("conflict",)
    parser_classes = [JSONParser]  # a connector nests objects, which form and multipart bodies cannot carry

    @extend_schema(request=ConnectorSerializer, responses={201: openapi.ConnectorOutSerializer})
    def post(self, request: Request) -> Response:
        serializer = ConnectorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with _conflict_on_duplicate(DUPLICATE_CONNECTOR):
            connector = Connector.objects.create_without_secrets(
                workspace=_token(request).workspace,
                name=data["name"],
                type=data["connector"]["type"],
                config=data["connector"]["config"],
                tags=data["tags"],
            )
        return Response(ConnectorSerializer(connector).data, status=status.HTTP_201_CREATED)


class FailView(PublicAPIView):
    """``GET /api/demo/fail``: an unexpected error whose message must never reach the client."""

    @extend_schema(responses={500: None})  # it never succeeds; ErrorAutoSchema documents the envelope
    def get(self, request: Request) -> Response:
        raise RuntimeError("database password is hunter2")
