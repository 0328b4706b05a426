"""The example API end to end through Django's test client: every endpoint and every failure it answers."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client, override_settings

from example_project.demo import sso, tokens
from example_project.demo.models import ApiToken, Connector, Issue, Membership, ServiceAccount, Workspace
from tests.contract import assert_envelope

pytestmark = pytest.mark.django_db

BEARER = 'Bearer realm="api"'
BAD_CREDENTIALS = "Invalid username, password or workspace."
REQUIRED = "This field is required."
API_KEY = "sk_live_do_not_echo_me_4242"


def post(client: Client, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers or {})


def password_grant(**overrides: Any) -> dict[str, Any]:
    return {"username": "alice", "password": "demo-password", "workspace": "acme", **overrides}


def me(client: Client, access_token: str) -> dict[str, Any]:
    response = client.get("/api/me", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.content
    return dict(response.json())


# POST /auth/token


def test_password_grant_returns_a_bearer_token_for_an_hour_recorded_as_pwd(api_client: Client, demo_user: Any) -> None:
    response = post(api_client, "/auth/token", password_grant())

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("clk_")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-Id"]
    assert me(api_client, body["access_token"]) == {
        "username": "alice",
        "workspace": "acme",
        "scope": "read_write",
        "amr": ["pwd"],
        "is_service_account": False,
    }


def test_password_grant_honours_a_read_scope(api_client: Client, demo_user: Any) -> None:
    response = post(api_client, "/auth/token", password_grant(scope="read"))

    assert response.status_code == 200
    assert me(api_client, response.json()["access_token"])["scope"] == "read"


@pytest.mark.django_db(transaction=True)  # /auth/token runs outside the request's transaction (see test_example_mfa)
@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"password": "wrong-password"}, id="wrong-password"),
        pytest.param({"username": "mallory"}, id="unknown-user"),
        pytest.param({"workspace": "globex"}, id="not-a-member"),
        pytest.param({"workspace": "nowhere"}, id="unknown-workspace"),
    ],
)
def test_password_grant_refuses_bad_credentials_with_one_indistinguishable_unauthorized(
    api_client: Client, demo_user: Any, demo_other_workspace: Workspace, overrides: dict[str, str]
) -> None:
    response = post(api_client, "/auth/token", password_grant(**overrides))

    error = assert_envelope(response, 401, "unauthorized")
    assert error["message"] == BAD_CREDENTIALS
    assert "details" not in error
    assert not ApiToken.objects.exists()


def test_password_grant_refuses_an_inactive_user_like_a_wrong_password(api_client: Client, demo_user: Any) -> None:
    demo_user.is_active = False
    demo_user.save()

    error = assert_envelope(post(api_client, "/auth/token", password_grant()), 401, "unauthorized")

    assert error["message"] == BAD_CREDENTIALS


def test_password_grant_refusal_carries_www_authenticate(api_client: Client, demo_user: Any) -> None:
    response = post(api_client, "/auth/token", password_grant(password="wrong-password"))

    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


def test_password_grant_names_every_missing_field(api_client: Client, db: None) -> None:
    response = post(api_client, "/auth/token", {})

    assert_envelope(
        response, 400, "validation_error", {"username": REQUIRED, "password": REQUIRED, "workspace": REQUIRED}
    )


def test_password_grant_rejects_an_unknown_scope(api_client: Client, demo_user: Any) -> None:
    response = post(api_client, "/auth/token", password_grant(scope="admin"))

    assert_envelope(response, 400, "validation_error", {"scope": '"admin" is not a valid choice.'})


def test_password_grant_with_a_malformed_body_is_a_validation_error(api_client: Client, db: None) -> None:
    response = api_client.post("/auth/token", "{not json", content_type="application/json")

    assert_envelope(response, 400, "validation_error")


def test_password_grant_in_an_unsupported_media_type_is_refused(api_client: Client, db: None) -> None:
    response = api_client.post("/auth/token", "alice", content_type="text/plain")

    assert_envelope(response, 415, "unsupported_media_type")


def test_token_endpoint_only_accepts_post(api_client: Client, db: None) -> None:
    assert_envelope(api_client.get("/auth/token"), 405, "method_not_allowed")


# POST /auth/exchange


def test_exchange_trades_a_subject_token_for_an_access_token_recorded_as_sso(
    api_client: Client, demo_user: Any
) -> None:
    response = post(api_client, "/auth/exchange", {"subject_token": sso.issue("alice"), "workspace": "acme"})

    assert response.status_code == 200
    body = response.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response["Cache-Control"] == "no-store"
    assert me(api_client, body["access_token"])["amr"] == ["sso"]


def test_exchange_accepts_and_ignores_the_rfc_8693_type_fields(api_client: Client, demo_user: Any) -> None:
    body = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token_type": ["anything", "at all"],
        "subject_token": sso.issue("alice"),
        "workspace": "acme",
    }

    assert post(api_client, "/auth/exchange", body).status_code == 200


class _FiveMinutesLater:
    """Stands in for the ``time`` module of ``django.core.signing`` once a subject token has aged out."""

    @staticmethod
    def time() -> float:
        return time.time() + sso.MAX_AGE_SECONDS + 1


def _tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize(
    ("subject_token", "workspace"),
    [
        pytest.param(lambda: "not-a-signed-value", "acme", id="malformed"),
        pytest.param(lambda: _tampered(sso.issue("alice")), "acme", id="tampered"),
        pytest.param(lambda: signing.dumps({"sub": "alice"}, salt="another.salt"), "acme", id="other-salt"),
        pytest.param(lambda: signing.dumps({"user": "alice"}, salt=sso.SALT), "acme", id="no-subject"),
        pytest.param(lambda: sso.issue("mallory"), "acme", id="unknown-user"),
        pytest.param(lambda: sso.issue("alice"), "globex", id="not-a-member"),
        pytest.param(lambda: sso.issue("alice"), "nowhere", id="unknown-workspace"),
    ],
)
def test_exchange_refuses_an_unverifiable_grant_with_invalid_grant(
    api_client: Client, demo_user: Any, demo_other_workspace: Workspace, subject_token: Any, workspace: str
) -> None:
    response = post(api_client, "/auth/exchange", {"subject_token": subject_token(), "workspace": workspace})

    error = assert_envelope(response, 401, "invalid_grant")
    assert error["message"] == "The subject token is invalid or could not be verified."
    assert not ApiToken.objects.exists()


def test_exchange_refuses_an_expired_subject_token(
    api_client: Client, demo_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_token = sso.issue("alice")
    monkeypatch.setattr(signing, "time", _FiveMinutesLater)

    assert_envelope(
        post(api_client, "/auth/exchange", {"subject_token": subject_token, "workspace": "acme"}), 401, "invalid_grant"
    )


def test_exchange_refuses_an_inactive_user(api_client: Client, demo_user: Any) -> None:
    get_user_model().objects.filter(pk=demo_user.pk).update(is_active=False)

    response = post(api_client, "/auth/exchange", {"subject_token": sso.issue("alice"), "workspace": "acme"})

    assert_envelope(response, 401, "invalid_grant")


def test_exchange_refusal_carries_www_authenticate(api_client: Client, demo_user: Any) -> None:
    response = post(api_client, "/auth/exchange", {"subject_token": "garbage", "workspace": "acme"})

    assert response.status_code == 401
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"workspace": "acme"}, {"subject_token": REQUIRED}),
        ({"subject_token": "x"}, {"workspace": REQUIRED}),
        ({}, {"subject_token": REQUIRED, "workspace": REQUIRED}),
        ({"subject_token": "", "workspace": "acme"}, {"subject_token": "This field may not be blank."}),
    ],
)
def test_exchange_names_a_missing_or_blank_field(api_client: Client, db: None, body: Any, details: Any) -> None:
    assert_envelope(post(api_client, "/auth/exchange", body), 400, "validation_error", details)


# GET /api/me


def test_me_describes_the_token(api_client: Client, demo_read_token: str) -> None:
    assert me(api_client, demo_read_token) == {
        "username": "alice",
        "workspace": "acme",
        "scope": "read",
        "amr": ["pwd"],
        "is_service_account": False,
    }


@pytest.mark.parametrize("path", ["/api/me", "/api/issues", "/api/issues/iss_01abc123"])
def test_reading_without_a_token_is_unauthorized_with_a_bearer_challenge(
    api_client: Client, db: None, path: str
) -> None:
    response = api_client.get(path)

    error = assert_envelope(response, 401, "unauthorized")
    assert error["message"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"] == BEARER


@pytest.mark.parametrize("path", ["/api/issues", "/api/service-accounts", "/api/connectors"])
def test_writing_without_a_token_is_unauthorized_with_a_bearer_challenge(
    api_client: Client, db: None, path: str
) -> None:
    response = post(api_client, path, {})

    assert_envelope(response, 401, "unauthorized")
    assert response["WWW-Authenticate"] == BEARER


# /api/issues


def test_issues_list_only_the_token_workspace(
    api_client: Client, demo_headers: dict[str, str], demo_workspace: Workspace, demo_other_workspace: Workspace
) -> None:
    mine = Issue.objects.create(workspace=demo_workspace, title="Checkout is slow", severity="high")
    Issue.objects.create(workspace=demo_other_workspace, title="Not yours")

    response = api_client.get("/api/issues", headers=demo_headers)

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [mine.public_id]
    assert response.json()["results"][0]["severity"] == "high"


def test_creating_an_issue_returns_it_with_a_public_id_and_default_severity(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    response = post(api_client, "/api/issues", {"title": "Checkout is slow"}, demo_headers)

    assert response.status_code == 201
    body = response.json()
    assert re.fullmatch(r"iss_[0-9a-z]{8}", body["id"])
    assert body["title"] == "Checkout is slow"
    assert body["severity"] == "medium"
    assert Issue.objects.get().public_id == body["id"]


def test_creating_an_issue_with_bad_fields_answers_the_contract_example(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    response = post(api_client, "/api/issues", {"severity": "urgent"}, demo_headers)

    error = assert_envelope(
        response,
        400,
        "validation_error",
        {"title": "field required", "severity": "value is not a valid enumeration member"},
    )
    assert error["message"] == "Request validation failed"
    assert not Issue.objects.exists()


def test_a_read_token_may_list_but_not_create_issues(api_client: Client, demo_read_token: str) -> None:
    headers = {"Authorization": f"Bearer {demo_read_token}"}

    assert api_client.get("/api/issues", headers=headers).status_code == 200
    response = post(api_client, "/api/issues", {"title": "Nope"}, headers)

    assert_envelope(response, 403, "forbidden", {"token_scope": "read", "required": "read_write"})
    assert not Issue.objects.exists()


def test_an_issue_of_the_workspace_is_returned_by_its_public_id(
    api_client: Client, demo_headers: dict[str, str], demo_workspace: Workspace
) -> None:
    issue = Issue.objects.create(workspace=demo_workspace, title="Checkout is slow")

    response = api_client.get(f"/api/issues/{issue.public_id}", headers=demo_headers)

    assert response.status_code == 200
    assert response.json()["id"] == issue.public_id


def test_a_missing_issue_answers_the_contract_not_found_example(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    response = api_client.get("/api/issues/iss_01abc123", headers=demo_headers)

    error = assert_envelope(response, 404, "not_found", {"id": "iss_01abc123"})
    assert error["message"] == "Issue iss_01abc123 not found"


@pytest.mark.parametrize("issue_id", ["iss_%00abcdef", "iss_", "ISS_01ABC123", "iss_01abc1234", "..%2f..%2fetc"])
def test_an_issue_id_that_cannot_exist_is_not_found_without_a_query(
    api_client: Client, demo_headers: dict[str, str], issue_id: str
) -> None:
    response = api_client.get(f"/api/issues/{issue_id}", headers=demo_headers)

    assert_envelope(response, 404, "not_found")


def test_an_issue_of_another_workspace_is_not_found(
    api_client: Client, demo_headers: dict[str, str], demo_other_workspace: Workspace
) -> None:
    foreign = Issue.objects.create(workspace=demo_other_workspace, title="Not yours")

    response = api_client.get(f"/api/issues/{foreign.public_id}", headers=demo_headers)

    error = assert_envelope(response, 404, "not_found", {"id": foreign.public_id})
    assert error["message"] == f"Issue {foreign.public_id} not found"


def test_an_unsupported_method_on_issues_is_method_not_allowed(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    response = api_client.delete("/api/issues", headers=demo_headers)

    assert_envelope(response, 405, "method_not_allowed")


# POST /api/service-accounts


def test_creating_a_service_account_returns_its_id_and_name(api_client: Client, demo_headers: dict[str, str]) -> None:
    response = post(api_client, "/api/service-accounts", {"name": "ci-bot"}, demo_headers)

    assert response.status_code == 201
    assert response.json() == {"id": ServiceAccount.objects.get().pk, "name": "ci-bot"}


def test_a_second_service_account_with_the_same_name_is_a_conflict_on_name(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    post(api_client, "/api/service-accounts", {"name": "ci-bot"}, demo_headers)

    response = post(api_client, "/api/service-accounts", {"name": "ci-bot"}, demo_headers)

    error = assert_envelope(response, 409, "conflict", {"name": "A service account with this name already exists."})
    assert error["message"] == "A service account with this name already exists."
    assert ServiceAccount.objects.count() == 1


def test_the_same_service_account_name_is_free_in_another_workspace(
    api_client: Client, demo_headers: dict[str, str], demo_user: Any, demo_other_workspace: Workspace
) -> None:
    Membership.objects.create(user=demo_user, workspace=demo_other_workspace)
    other = tokens.mint(demo_user, demo_other_workspace, amr=["pwd"]).secret
    post(api_client, "/api/service-accounts", {"name": "ci-bot"}, demo_headers)

    response = post(api_client, "/api/service-accounts", {"name": "ci-bot"}, {"Authorization": f"Bearer {other}"})

    assert response.status_code == 201


def test_a_service_account_needs_a_name(api_client: Client, demo_headers: dict[str, str]) -> None:
    assert_envelope(
        post(api_client, "/api/service-accounts", {}, demo_headers), 400, "validation_error", {"name": REQUIRED}
    )


def test_a_read_token_may_not_create_a_service_account(api_client: Client, demo_read_token: str) -> None:
    response = post(api_client, "/api/service-accounts", {"name": "x"}, {"Authorization": f"Bearer {demo_read_token}"})

    assert_envelope(response, 403, "forbidden", {"token_scope": "read", "required": "read_write"})


# POST /api/connectors


def connector(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "GitHub",
        "connector": {"type": "github", "config": {"api_key": API_KEY, "org": "acme"}},
        "tags": ["ci", "prod"],
    }
    return {**body, **overrides}


def test_creating_a_connector_never_echoes_or_stores_its_api_key(
    api_client: Client, demo_headers: dict[str, str]
) -> None:
    response = post(api_client, "/api/connectors", connector(), demo_headers)

    assert response.status_code == 201
    body = response.json()
    assert body["connector"] == {"type": "github", "config": {"org": "acme"}}
    assert body["tags"] == ["ci", "prod"]
    assert API_KEY not in response.content.decode()
    stored = Connector.objects.get()
    assert stored.config == {"org": "acme"}
    assert API_KEY not in json.dumps([stored.config, stored.tags, stored.name])


@pytest.mark.parametrize(
    ("overrides", "details"),
    [
        pytest.param(
            {
                "connector": {"type": "github", "config": {}},
                "tags": ["ok", 123456789012345678901234567890123456789],
            },
            {
                "connector.config.api_key": REQUIRED,
                "tags.1": "Ensure this field has no more than 32 characters.",
            },
            id="nested-and-list-paths",
        ),
        pytest.param({"tags": ["ok", ""]}, {"tags.1": "This field may not be blank."}, id="blank-tag"),
        pytest.param({"tags": "ci"}, {"tags": 'Expected a list of items but got type "str".'}, id="tags-not-a-list"),
        pytest.param({"connector": None}, {"connector": "This field may not be null."}, id="no-connector"),
        pytest.param(
            {"connector": {"type": "ftp", "config": {"api_key": "k"}}},
            {"connector.type": "value is not a valid enumeration member"},
            id="unknown-type",
        ),
        pytest.param(
            {"connector": {"type": "github", "config": "k"}},
            {"connector.config.non_field_errors": "Invalid data. Expected a dictionary, but got str."},
            id="config-not-an-object",
        ),
    ],
)
def test_connector_errors_are_reported_at_their_dot_path(
    api_client: Client, demo_headers: dict[str, str], overrides: dict[str, Any], details: dict[str, str]
) -> None:
    response = post(api_client, "/api/connectors", connector(**overrides), demo_headers)

    assert_envelope(response, 400, "validation_error", details)
    assert not Connector.objects.exists()


def test_connector_validation_errors_never_echo_the_api_key(api_client: Client, demo_headers: dict[str, str]) -> None:
    body = connector(connector={"type": "github", "config": {"api_key": API_KEY * 20}})

    response = post(api_client, "/api/connectors", body, demo_headers)

    assert_envelope(
        response,
        400,
        "validation_error",
        {"connector.config.api_key": "Ensure this field has no more than 256 characters."},
    )
    assert API_KEY not in response.content.decode()


def test_a_second_connector_with_the_same_name_is_a_conflict(api_client: Client, demo_headers: dict[str, str]) -> None:
    post(api_client, "/api/connectors", connector(), demo_headers)

    response = post(api_client, "/api/connectors", connector(), demo_headers)

    assert_envelope(response, 409, "conflict", {"name": "A connector with this name already exists."})


# GET /api/demo/fail and unknown URLs


def test_an_unexpected_error_answers_internal_error_without_leaking_anything(api_client: Client, db: None) -> None:
    response = api_client.get("/api/demo/fail")

    error = assert_envelope(response, 500, "internal_error")
    assert error["message"] == "Unexpected server error."
    assert "details" not in error
    content = response.content.decode()
    for secret in ("hunter2", "RuntimeError", "Traceback", "database password"):
        assert secret not in content


@override_settings(DEBUG=True)
def test_an_unexpected_error_does_not_leak_even_with_debug_on(api_client: Client, db: None) -> None:
    response = api_client.get("/api/demo/fail")

    assert_envelope(response, 500, "internal_error")
    assert "hunter2" not in response.content.decode()


def test_an_unknown_api_url_is_a_not_found_envelope(api_client: Client, db: None) -> None:
    assert_envelope(api_client.get("/api/nope"), 404, "not_found")
