"""The OpenAPI integration: every operation documents the errors it can answer, and the real answers match."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from causeloop_errors import catalog
from causeloop_errors.openapi.schemas import body_schema
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.ratelimits.throttling import RateLimitRuleThrottle
from causeloop_errors.styles import SHORT_NAMES, load
from example_project.demo.models import Workspace
from tests.contract import assert_envelope

HOST_CODE = {"code": "workspace_suspended", "status": 403, "message": "This workspace is suspended."}
PAYMENT_CODE = {"code": "insufficient_balance", "status": 402, "message": "Insufficient balance."}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_generator_warnings() -> Iterator[None]:
    """drf-spectacular counts warnings process-wide; each test starts and ends with none."""
    GENERATOR_STATS.reset()
    yield
    GENERATOR_STATS.reset()


def generate(*routes: tuple[str, Any]) -> dict[str, Any]:
    """Return the schema of ``routes`` (``(path, view class)``), or of the example project when none are given."""
    patterns = [path(route, view.as_view()) for route, view in routes] or None
    return SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def example_schema() -> dict[str, Any]:
    return generate()


def error_statuses(schema: dict[str, Any], route: str, method: str) -> set[int]:
    responses = schema["paths"][route][method]["responses"]
    return {int(status) for status in responses if int(status) >= 400}


def resolve(schema: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """Return ``item``, or the component its ``$ref`` points to."""
    if "$ref" not in item:
        return item
    node: Any = schema
    for part in item["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return node


def body_of(schema: dict[str, Any], status: int) -> dict[str, Any]:
    return schema["components"]["schemas"][f"ErrorEnvelope{status}"]


def code_enum(schema: dict[str, Any], status: int) -> list[str]:
    return body_of(schema, status)["properties"]["error"]["properties"]["code"]["enum"]


def assert_documented(schema: dict[str, Any], route: str, method: str, response: Any) -> None:
    """Assert ``response`` is an answer the schema documents for the operation: status, body and headers."""
    responses = schema["paths"][route][method]["responses"]
    assert str(response.status_code) in responses, f"{response.status_code} is not documented for {method} {route}"
    documented = responses[str(response.status_code)]
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in documented["content"], f"{media_type} is not documented for {method} {route}"
    body = documented["content"][media_type]["schema"]
    jsonschema.Draft7Validator({**body, "components": schema["components"]}).validate(json.loads(response.content))
    for name, header in documented.get("headers", {}).items():
        header = resolve(schema, header)
        if header["required"]:
            assert response.has_header(name), f"required header {name} missing"
        if response.has_header(name):
            value: Any = response[name]
            if header["schema"].get("type") == "integer":
                value = int(value)
            jsonschema.Draft7Validator(header["schema"]).validate(value)


# The example project


def test_example_schema_generates_without_warnings_and_validates(tmp_path: Path) -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3")


def test_token_authenticated_policy_protected_throttled_post_lists_every_error_it_can_answer(
    example_schema: dict[str, Any],
) -> None:
    # 400 body or workspace key, 401 token, 403 permissions and policies, 404 unknown workspace (WORKSPACE_MODEL),
    # 413/415 body, 429/503 rules, 500 always
    assert error_statuses(example_schema, "/api/issues", "post") == {400, 401, 403, 404, 413, 415, 429, 500, 503}
    for status, response in example_schema["paths"]["/api/issues"]["post"]["responses"].items():
        if int(status) >= 400:
            assert response["content"] == {
                "application/json": {"schema": {"$ref": f"#/components/schemas/ErrorEnvelope{status}"}}
            }


def test_statuses_follow_from_the_view(example_schema: dict[str, Any]) -> None:
    # a public view that reads no body nor credentials: only what any operation can answer
    assert error_statuses(example_schema, "/api/demo/fail", "get") == {429, 500, 503}
    # policy-exempt: no 400/404 from the workspace check, still 401 and the demo's own permissions' 403
    assert error_statuses(example_schema, "/api/me", "get") == {401, 403, 429, 500, 503}
    # a POST that reads no body: no 400, 413, 415; its declared conflict adds 409
    assert error_statuses(example_schema, "/api/me/mfa/totp", "post") == {401, 403, 409, 429, 500, 503}
    # a public POST with a body, declaring the unauthorized it raises itself
    assert error_statuses(example_schema, "/auth/token", "post") == {400, 401, 413, 415, 429, 500, 503}


def test_403_code_enum_is_exactly_the_registrys_403_codes(example_schema: dict[str, Any]) -> None:
    registered = [entry.code for entry in catalog.all_codes() if entry.status == 403]
    assert registered == ["forbidden", "mfa_required", "sso_required"]
    assert code_enum(example_schema, 403) == registered


def test_the_envelope_component_enumerates_every_registered_code(example_schema: dict[str, Any]) -> None:
    envelope = example_schema["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["properties"]["error"]["properties"]["code"]["enum"] == [e.code for e in catalog.all_codes()]


@override_settings(CAUSELOOP_ERRORS={"CODES": [HOST_CODE]})
def test_host_code_registered_in_settings_appears_in_its_status_enum() -> None:
    assert code_enum(generate(), 403) == ["forbidden", "mfa_required", "sso_required", "workspace_suspended"]


def test_details_are_typed_per_code(example_schema: dict[str, Any]) -> None:
    validation = body_of(example_schema, 400)["properties"]["error"]
    assert validation["properties"]["details"]["additionalProperties"] == {"type": "string"}
    assert "details" in validation["required"]
    limited = body_of(example_schema, 429)["properties"]["error"]
    assert set(limited["properties"]["details"]["properties"]) == {"rule", "limit", "window_seconds", "retry_after"}
    branches = {
        tuple(branch["properties"]["code"]["enum"]): branch
        for branch in body_of(example_schema, 403)["properties"]["error"]["oneOf"]
    }
    assert set(branches) == {("forbidden",), ("mfa_required",), ("sso_required",)}
    mfa = branches[("mfa_required",)]["properties"]["details"]
    assert mfa["properties"]["reason"]["enum"] == ["enrollment_required", "verification_required"]


def test_a_body_that_breaks_the_documented_shape_fails_validation(example_schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator({**body_of(example_schema, 403), "components": {}})
    good = {"error": {"code": "sso_required", "message": "m", "trace_id": "abcdefgh", "details": {"workspace": "x"}}}
    assert validator.is_valid(good)
    assert not validator.is_valid({"error": {**good["error"], "code": "not_found"}})  # not a 403 code
    assert not validator.is_valid({"error": {**good["error"], "details": {"reason": "x"}}})  # sso without workspace
    assert not validator.is_valid({"error": {**good["error"], "extra": 1}})
    assert not validator.is_valid({"detail": "DRF's own shape"})


def test_headers_are_documented(example_schema: dict[str, Any]) -> None:
    for route, operations in example_schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert response["headers"]["X-Request-Id"] == {"$ref": "#/components/headers/X-Request-Id"}, (
                    method,
                    route,
                    status,
                )
    responses = example_schema["paths"]["/api/issues"]["post"]["responses"]
    assert resolve(example_schema, responses["401"]["headers"]["WWW-Authenticate"])["required"] is True
    assert responses["429"]["headers"]["Retry-After"]["required"] is True
    assert responses["503"]["headers"]["Retry-After"]["required"] is False
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= responses["429"]["headers"].keys()
    assert "MFA-Enforced-From" in responses["201"]["headers"]
    assert "MFA-Enforced-From" not in example_schema["paths"]["/api/me"]["get"]["responses"]["200"]["headers"]
    assert "WWW-Authenticate" not in responses["403"]["headers"]
    assert resolve(example_schema, responses["201"]["headers"]["X-Request-Id"])["required"] is True


@pytest.mark.django_db
def test_schema_is_served_with_a_docs_page(client: Client) -> None:
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "ErrorEnvelope403" in schema.json()["components"]["schemas"]
    for page in ("/api/docs", "/api/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        assert b"drf_spectacular_sidecar" in response.content  # assets served by the app: the page works offline
        assert b"cdn.jsdelivr.net" not in response.content


def test_package_imports_without_drf_spectacular() -> None:
    script = (
        "import sys; sys.modules['drf_spectacular'] = None\n"
        "import django; from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth', 'rest_framework',"
        " 'causeloop_errors'])\n"
        "django.setup()\n"
        "import causeloop_errors.middleware, causeloop_errors.handler, causeloop_errors.openapi\n"
        "from causeloop_errors.openapi.schemas import body_schema\n"
        "from causeloop_errors.catalog import all_codes\n"
        "assert body_schema(all_codes())['required'] == ['error']\n"
        "try:\n    causeloop_errors.openapi.ErrorAutoSchema\nexcept ImportError:\n    print('needs drf-spectacular')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "needs drf-spectacular"


# The answers of the example API, checked against its schema


@pytest.mark.django_db
def test_real_error_answers_match_the_schema(
    example_schema: dict[str, Any], api_client: Client, demo_headers: dict[str, str]
) -> None:
    auth = {f"HTTP_{k.upper()}": v for k, v in demo_headers.items()}
    answers = [
        ("/api/issues", "get", api_client.get("/api/issues"), 401),
        ("/api/issues", "post", api_client.post("/api/issues", {}, content_type="application/json", **auth), 400),
        ("/api/issues", "post", api_client.post("/api/issues", "x", content_type="text/plain", **auth), 415),
        ("/api/issues/{issue_id}", "get", api_client.get("/api/issues/iss_nope", **auth), 404),
        ("/api/issues", "get", api_client.get("/api/issues", HTTP_X_WORKSPACE="bad key!", **auth), 400),
        ("/api/issues", "get", api_client.get("/api/issues", HTTP_X_WORKSPACE="nowhere", **auth), 404),
        ("/api/demo/fail", "get", api_client.get("/api/demo/fail"), 500),
    ]
    for route, method, response, status in answers:
        assert response.status_code == status, (route, response.content)
        assert_documented(example_schema, route, method, response)
    first = api_client.post("/api/service-accounts", {"name": "ci"}, content_type="application/json", **auth)
    again = api_client.post("/api/service-accounts", {"name": "ci"}, content_type="application/json", **auth)
    assert (first.status_code, again.status_code) == (201, 409)
    assert_documented(example_schema, "/api/service-accounts", "post", again)


@pytest.mark.django_db
def test_policy_refusal_matches_its_typed_details(
    example_schema: dict[str, Any], api_client: Client, demo_headers: dict[str, str]
) -> None:
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    response = api_client.get("/api/issues", HTTP_AUTHORIZATION=demo_headers["Authorization"])
    assert_envelope(response, 403, "mfa_required", {"workspace": "acme", "reason": "enrollment_required"})
    assert_documented(example_schema, "/api/issues", "get", response)


def test_rate_limited_answer_matches_its_typed_details_and_headers(
    example_schema: dict[str, Any], api_client: Client, rate_limit_rule: Any
) -> None:
    rate_limit_rule("fail-ip", "1/m", path_prefix="/api/demo/")
    assert api_client.get("/api/demo/fail").status_code == 500
    response = api_client.get("/api/demo/fail")
    error = assert_envelope(response, 429, "rate_limited")
    assert error["details"]["rule"] == "fail-ip"
    assert response.has_header("X-RateLimit-Limit")
    assert_documented(example_schema, "/api/demo/fail", "get", response)


# Views of a host project, and their overrides


class NameSerializer(serializers.Serializer):
    name = serializers.CharField()


class ItemsView(APIView):
    """The example project's defaults: bearer tokens, IsAuthenticated, the policy, RateLimitRuleThrottle."""

    @extend_schema(responses=NameSerializer)
    def get(self, request: Request) -> Response:
        return Response({"name": "x"})

    @extend_schema(request=NameSerializer, responses={201: NameSerializer})
    def post(self, request: Request) -> Response:
        return Response({"name": "x"}, status=201)


class DeclaredCodesView(ItemsView):
    error_codes = ("conflict",)


class PerMethodCodesView(ItemsView):
    error_codes = {"post": ("conflict", "insufficient_balance")}


class ReplacedStatusesView(ItemsView):
    error_statuses = (400,)


class TypoView(ItemsView):
    error_codes = ("conflcit",)


class BareCodeView(ItemsView):
    error_codes = "conflict"


class SuccessStatusView(ItemsView):
    error_statuses = (200, 409)


class ExtendSchemaView(APIView):
    @extend_schema(
        responses={
            200: NameSerializer,
            409: OpenApiResponse(description="The name is taken."),
            404: OpenApiResponse(NameSerializer, description="The view's own 404 body."),
        }
    )
    def get(self, request: Request) -> Response:
        return Response({"name": "x"})


class SessionView(APIView):
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]
    throttle_classes: list[Any] = []

    @extend_schema(responses=NameSerializer)
    def get(self, request: Request) -> Response:
        return Response({"name": "x"})

    @extend_schema(request=None, responses=NameSerializer)
    def post(self, request: Request) -> Response:
        return Response({"name": "x"})


class ReadOnlyForAnonymousView(SessionView):
    permission_classes = [IsAuthenticatedOrReadOnly]


class AnonThrottledView(SessionView):
    throttle_classes = [AnonRateThrottle]


class RuleThrottledView(SessionView):
    throttle_classes = [RateLimitRuleThrottle]


class Paged(PageNumberPagination):
    page_size = 10


class NameViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    pagination_class = Paged
    serializer_class = NameSerializer
    queryset = Workspace.objects.all()


def test_declared_codes_add_their_statuses() -> None:
    schema = generate(("api/items", ItemsView), ("api/declared", DeclaredCodesView))
    assert error_statuses(schema, "/api/declared", "get") == error_statuses(schema, "/api/items", "get") | {409}


@override_settings(CAUSELOOP_ERRORS={"CODES": [PAYMENT_CODE]})
def test_declared_codes_can_differ_per_method_and_name_host_codes() -> None:
    schema = generate(("api/items", ItemsView), ("api/per-method", PerMethodCodesView))
    assert error_statuses(schema, "/api/per-method", "get") == error_statuses(schema, "/api/items", "get")
    assert error_statuses(schema, "/api/per-method", "post") == error_statuses(schema, "/api/items", "post") | {
        402,
        409,
    }
    assert code_enum(schema, 402) == ["insufficient_balance"]


def test_error_statuses_replace_what_the_view_implies_but_500_and_503_stay() -> None:
    # 500: a crash; 503: the database unavailable. Any operation can answer them.
    assert error_statuses(generate(("api/replaced", ReplacedStatusesView)), "/api/replaced", "post") == {400, 500, 503}


def test_a_code_written_without_a_tuple_counts_as_one_code() -> None:
    assert 409 in error_statuses(generate(("api/bare", BareCodeView)), "/api/bare", "get")
    assert not GENERATOR_STATS


def test_a_declared_status_that_is_not_an_error_is_a_generator_warning() -> None:
    schema = generate(("api/success", SuccessStatusView))
    assert GENERATOR_STATS
    assert error_statuses(schema, "/api/success", "get") == {409, 500, 503}
    assert "ErrorEnvelope200" not in schema["components"]["schemas"]


def test_an_unregistered_declared_code_is_a_generator_warning() -> None:
    schema = generate(("api/typo", TypoView))
    assert GENERATOR_STATS  # spectacular --fail-on-warn fails on it
    assert 409 not in error_statuses(schema, "/api/typo", "get")


def test_extend_schema_error_status_without_body_gets_the_envelope_and_a_body_of_its_own_is_kept() -> None:
    responses = generate(("api/extended", ExtendSchemaView))["paths"]["/api/extended"]["get"]["responses"]
    assert responses["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope409"
    }
    assert responses["409"]["description"].startswith("The name is taken.\n- `conflict`: ")
    assert responses["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Name"}
    assert "X-Request-Id" in responses["404"]["headers"]


def test_session_authentication_with_allow_any_documents_csrf_but_never_401() -> None:
    schema = generate(("api/session", SessionView), ("api/read-only", ReadOnlyForAnonymousView))
    assert error_statuses(schema, "/api/session", "get") == {429, 500, 503}
    assert error_statuses(schema, "/api/session", "post") == {403, 429, 500, 503}  # DRF's CSRF check
    assert error_statuses(schema, "/api/read-only", "get") == {429, 500, 503}
    assert error_statuses(schema, "/api/read-only", "post") == {401, 403, 429, 500, 503}


def test_paginated_list_documents_the_404_of_an_invalid_page() -> None:
    names = NameViewSet.as_view({"get": "list", "post": "create"})
    schema = SchemaGenerator(patterns=[path("api/names", names)]).get_schema(request=None, public=True)
    assert 404 in error_statuses(schema, "/api/names", "get")
    assert 404 not in error_statuses(schema, "/api/names", "post")


@override_settings(CAUSELOOP_ERRORS={"OPENAPI_RATE_LIMIT_ALL_OPERATIONS": False})
def test_without_rules_everywhere_only_throttled_views_document_429() -> None:
    schema = generate(("api/none", SessionView), ("api/anon", AnonThrottledView), ("api/rules", RuleThrottledView))
    assert error_statuses(schema, "/api/none", "get") == {500, 503}
    assert error_statuses(schema, "/api/anon", "get") == {429, 500, 503}
    assert "X-RateLimit-Limit" not in schema["paths"]["/api/anon"]["get"]["responses"]["429"]["headers"]
    assert error_statuses(schema, "/api/rules", "get") == {429, 500, 503}
    assert "X-RateLimit-Limit" in schema["paths"]["/api/rules"]["get"]["responses"]["200"]["headers"]


@override_settings(CAUSELOOP_ERRORS={"INCLUDE_FIELD_ERRORS": True})
def test_field_errors_are_documented_only_when_sent() -> None:
    assert (
        "field_errors" in body_schema([catalog.resolve("validation_error", 400)])["properties"]["error"]["properties"]
    )


def test_field_errors_are_not_documented_by_default() -> None:
    error = body_schema([catalog.resolve("validation_error", 400)])["properties"]["error"]
    assert "field_errors" not in error["properties"]
    assert error["additionalProperties"] is False


# Envelope styles: the schema describes the configured style's body, and problem details when negotiable


@pytest.mark.parametrize("style", list(SHORT_NAMES))
def test_real_answers_match_the_schema_in_every_style(
    style: str, settings: Any, api_client: Client, demo_headers: dict[str, str]
) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "STYLE": style}
    schema = generate()
    header = load(style).request_id_header
    auth = {f"HTTP_{k.upper()}": v for k, v in demo_headers.items()}
    answers = [
        ("/api/issues", "get", api_client.get("/api/issues"), 401),
        ("/api/issues", "post", api_client.post("/api/issues", {}, content_type="application/json", **auth), 400),
        ("/api/issues/{issue_id}", "get", api_client.get("/api/issues/iss_nope", **auth), 404),
        ("/api/demo/fail", "get", api_client.get("/api/demo/fail"), 500),
    ]
    for route, method, response, status in answers:
        assert response.status_code == status, (style, route, response.content)
        assert_documented(schema, route, method, response)
        assert header in schema["paths"][route][method]["responses"][str(status)]["headers"]
        assert response.has_header(header)


def test_a_style_body_that_is_not_the_envelope_fails_the_styles_schema(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "STYLE": "helpdesk"}
    body = resolve(generate(), {"$ref": "#/components/schemas/ErrorEnvelope404"})
    envelope = {"error": {"code": "not_found", "message": "Resource not found", "trace_id": "abcdefgh-1"}}

    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(body).validate(envelope)


def test_negotiable_problem_details_are_documented_next_to_the_style(
    settings: Any, api_client: Client, demo_headers: dict[str, str]
) -> None:
    settings.CAUSELOOP_ERRORS = {**settings.CAUSELOOP_ERRORS, "NEGOTIATE_PROBLEM_DETAILS": True}
    schema = generate()
    content = schema["paths"]["/api/issues/{issue_id}"]["get"]["responses"]["404"]["content"]
    assert set(content) == {"application/json", "application/problem+json"}

    response = api_client.get(
        "/api/issues/iss_nope", HTTP_ACCEPT="application/problem+json", HTTP_AUTHORIZATION=demo_headers["Authorization"]
    )
    assert response["Content-Type"].startswith("application/problem+json")
    assert_documented(schema, "/api/issues/{issue_id}", "get", response)


# Only what is wired: policy codes where a policy is enforced, 429/503 and pacing headers where rules can apply


def test_a_policy_exempt_operation_lists_no_policy_code(example_schema: dict[str, Any]) -> None:
    response = example_schema["paths"]["/api/me"]["get"]["responses"]["403"]
    body = resolve(example_schema, response["content"]["application/json"]["schema"])
    assert body["properties"]["error"]["properties"]["code"]["enum"] == ["forbidden"]
    assert "MFA-Enforced-From" not in response["headers"]
    guarded = example_schema["paths"]["/api/issues"]["post"]["responses"]["403"]["content"]["application/json"]
    assert resolve(example_schema, guarded["schema"])["properties"]["error"]["properties"]["code"]["enum"] == [
        "forbidden",
        "mfa_required",
        "sso_required",
    ]


class PlainTokenView(APIView):
    """A view of a project that wires neither policies nor rules: token authentication, a permission, a body.

    Its classes are written out: an ``APIView`` subclass reads DRF's defaults once, when its class is created.
    """

    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticatedOrReadOnly]
    throttle_classes: list[type] = []

    @extend_schema(request=NameSerializer, responses={201: NameSerializer})
    def post(self, request: Request) -> Response:
        return Response({}, status=201)


class RuleCountedView(PlainTokenView):
    throttle_classes = [RateLimitRuleThrottle]


RULE_THROTTLE = "causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"
UNWIRED = {
    "DEFAULT_SCHEMA_CLASS": "causeloop_errors.openapi.ErrorAutoSchema",
    "EXCEPTION_HANDLER": "causeloop_errors.handler.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_THROTTLE_CLASSES": [],
}


@override_settings(
    ROOT_URLCONF="tests.urls_unwired",
    REST_FRAMEWORK=UNWIRED,
    CAUSELOOP_ERRORS={"OPENAPI_RATE_LIMIT_ALL_OPERATIONS": False},  # as if the rate-limit app were not installed
)
def test_a_project_whose_views_wire_neither_policies_nor_rules_documents_neither() -> None:
    schema = generate(("api/plain", PlainTokenView))
    operation = schema["paths"]["/api/plain"]["post"]
    assert error_statuses(schema, "/api/plain", "post") == {400, 401, 413, 415, 500, 503}
    codes = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]["properties"]["code"]["enum"]
    assert {"mfa_required", "sso_required"}.isdisjoint(codes)
    headers = {name for response in operation["responses"].values() for name in response.get("headers", {})}
    assert {"X-RateLimit-Limit", "MFA-Enforced-From"}.isdisjoint(headers)
    assert "Retry-After" not in operation["responses"]["503"]["headers"] or not resolve(
        schema, operation["responses"]["503"]["headers"]["Retry-After"]
    ).get("required")  # the 503 of an unavailable database may say when to retry


@override_settings(
    ROOT_URLCONF="tests.urls_unwired",
    REST_FRAMEWORK={
        **UNWIRED,
        "DEFAULT_THROTTLE_CLASSES": ["causeloop_errors.ratelimits.throttling.RateLimitRuleThrottle"],
    },
)
def test_with_the_rate_limit_app_installed_rules_are_documented_on_every_operation_by_default() -> None:
    schema = generate(("api/counted", RuleCountedView), ("api/plain", PlainTokenView))
    assert {429, 503} <= error_statuses(schema, "/api/plain", "post")
    assert "X-RateLimit-Limit" in schema["paths"]["/api/plain"]["post"]["responses"]["201"]["headers"]
    codes = schema["components"]["schemas"]["ErrorEnvelope"]["properties"]["error"]["properties"]["code"]["enum"]
    assert "rate_limited" in codes and "mfa_required" not in codes


class DeclaresPolicyCodeView(PlainTokenView):
    """Enforces a workspace policy by hand (``enforce(request)``) and says so."""

    permission_classes = [IsAuthenticatedOrReadOnly]
    error_codes = ("mfa_required",)


def test_a_feature_code_a_view_declares_is_listed_in_a_component_named_after_its_codes(
    example_schema: dict[str, Any],
) -> None:
    schema = generate(("api/declares", DeclaresPolicyCodeView))
    body = schema["paths"]["/api/declares"]["post"]["responses"]["403"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ErrorEnvelope403ForbiddenMfaRequired"}
    assert code_enum_of(schema, body) == ["forbidden", "mfa_required"]
    exempt = example_schema["paths"]["/api/me"]["get"]["responses"]["403"]["content"]["application/json"]["schema"]
    assert exempt == {"$ref": "#/components/schemas/ErrorEnvelope403Forbidden"}


def code_enum_of(schema: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    return resolve(schema, reference)["properties"]["error"]["properties"]["code"]["enum"]
