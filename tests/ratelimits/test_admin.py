"""The rate-limit rule admin as a logged-in superuser: changelist, validation, and saves obeyed on the next request."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from causeloop_errors.ratelimits.models import RateLimitRule
from tests.conftest import RateLimitClock

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.django_db, pytest.mark.usefixtures("app_defaults")]

CHANGELIST = "/admin/causeloop_ratelimits/ratelimitrule/"
RATE_MESSAGE = "Enter a rate like 10/m, 5/s, 1000/h or 100/5m."
COUNTED = "/api/rl/counted"


@pytest.fixture(autouse=True)
def clock(ratelimit_clock: RateLimitClock) -> RateLimitClock:
    ratelimit_clock.seconds_left("127.0.0.1", 60, 30)
    return ratelimit_clock


@pytest.fixture
def admin_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


@pytest.fixture
def api() -> Client:
    return Client(raise_request_exception=False)


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "api-ip",
        "enabled": "on",
        "mode": "enforce",
        "rate": "2/m",
        "key": "ip",
        "methods": "",
        "path_prefix": "/api/rl/",
        "path_regex": "",
        "view_names": "",
        "throttle_scopes": "",
        "client_networks": "",
        "workspace_key": "",
        "overrides": "",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return dict(response.context_data["adminform"].form.errors)


def test_changelist_lists_filters_and_searches(admin_client: Client) -> None:
    RateLimitRule.objects.create(name="auth-ip", rate="10/m", path_prefix="/auth/")
    RateLimitRule.objects.create(name="exports-user", rate="5/h", key="user", mode="observe", path_regex="/export$")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "auth-ip" in page and "exports-user" in page and "10/m" in page and "/auth/" in page
    for title in ("By enabled", "By mode", "By counted by", "By fail closed"):
        assert title in page
    observing = admin_client.get(CHANGELIST, {"mode__exact": "observe"}).content.decode()
    assert "exports-user" in observing and "auth-ip" not in observing
    by_user = admin_client.get(CHANGELIST, {"key__exact": "user"}).content.decode()
    assert "exports-user" in by_user and "auth-ip" not in by_user
    searched = admin_client.get(CHANGELIST, {"q": "/auth"}).content.decode()
    assert "auth-ip" in searched and "exports-user" not in searched
    by_regex = admin_client.get(CHANGELIST, {"q": "export$"}).content.decode()
    assert "exports-user" in by_regex and "auth-ip" not in by_regex


def test_the_add_form_shows_every_field(admin_client: Client) -> None:
    page = admin_client.get(f"{CHANGELIST}add/").content.decode()
    for field in ("name", "rate", "key", "mode", "fail_closed", "methods", "path_prefix", "path_regex"):
        assert f'name="{field}"' in page
    for field in ("view_names", "throttle_scopes", "client_networks", "workspace_key", "overrides", "expires_at_0"):
        assert f'name="{field}"' in page


@pytest.mark.parametrize("rate", ["10/x", "0/m", "10/0m", "abc", "10", "/m", "-1/m", "10/M", "10/m/m"])
def test_a_bad_rate_is_rejected_with_a_clear_message(admin_client: Client, rate: str) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(rate=rate))
    assert _errors(response) == {"rate": [RATE_MESSAGE]}
    assert not RateLimitRule.objects.exists()


@pytest.mark.parametrize("rate", ["10/m", "5/s", "1000/h", "100/5m", "3/d"])
def test_good_rates_are_accepted(admin_client: Client, rate: str) -> None:
    assert admin_client.post(f"{CHANGELIST}add/", _form(rate=rate)).status_code == 302
    assert RateLimitRule.objects.get().rate == rate


def test_a_bad_regex_is_rejected_with_the_reason(admin_client: Client) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(path_regex="^/api/(unclosed"))
    errors = _errors(response)
    assert list(errors) == ["path_regex"]
    assert errors["path_regex"][0].startswith("Not a valid regular expression: missing ), unterminated subpattern")


def test_unknown_methods_are_rejected_by_name(admin_client: Client) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(methods="post, FETCH, get PURGE"))
    assert _errors(response) == {"methods": ["Unknown HTTP methods: FETCH, PURGE."]}


@pytest.mark.parametrize("network", ["10.0.0.999", "office", "10.0.0.0/33"])
def test_a_bad_network_is_rejected_by_name(admin_client: Client, network: str) -> None:
    response = admin_client.post(f"{CHANGELIST}add/", _form(client_networks=f"203.0.113.0/24, {network}"))
    assert _errors(response) == {"client_networks": [f"Not an IP network: {network}."]}


def test_a_rule_cannot_override_itself(admin_client: Client) -> None:
    rule = RateLimitRule.objects.create(name="api-ip", rate="2/m")
    response = admin_client.post(f"{CHANGELIST}{rule.pk}/change/", _form(overrides=str(rule.pk)))
    assert _errors(response) == {"overrides": ["A rule cannot override itself."]}


def test_a_second_rule_with_the_same_name_is_rejected(admin_client: Client) -> None:
    RateLimitRule.objects.create(name="api-ip", rate="2/m")
    response = admin_client.post(f"{CHANGELIST}add/", _form())
    assert list(_errors(response)) == ["name"]


def test_a_rule_saved_in_the_admin_is_obeyed_on_the_next_request(
    admin_client: Client, api: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert "X-RateLimit-Limit" not in api.get(COUNTED)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"{CHANGELIST}add/", _form()).status_code == 302
    assert [api.get(COUNTED).status_code for _ in range(3)] == [200, 200, 429]


def test_an_edit_and_a_delete_in_the_admin_are_obeyed_on_the_next_request(
    admin_client: Client, api: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"{CHANGELIST}add/", _form())
    rule = RateLimitRule.objects.get()
    assert api.get(COUNTED)["X-RateLimit-Limit"] == "2"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"{CHANGELIST}{rule.pk}/change/", _form(rate="5/m")).status_code == 302
    assert api.get(COUNTED)["X-RateLimit-Limit"] == "5"
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"{CHANGELIST}{rule.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not RateLimitRule.objects.exists()
    assert "X-RateLimit-Limit" not in api.get(COUNTED)


def test_an_office_override_with_an_expiry_can_be_added_in_the_admin(
    admin_client: Client, api: Client, django_capture_on_commit_callbacks: Any
) -> None:
    general = RateLimitRule.objects.create(name="api-ip", rate="2/m", path_prefix="/api/rl/")
    office = _form(
        name="office",
        rate="5/m",
        client_networks="203.0.113.0/24",
        overrides=str(general.pk),
        expires_at_0="2099-12-31",
        expires_at_1="18:00:00",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.post(f"{CHANGELIST}add/", office).status_code == 302
    assert api.get(COUNTED, REMOTE_ADDR="203.0.113.9")["X-RateLimit-Limit"] == "5"
    assert api.get(COUNTED)["X-RateLimit-Limit"] == "2"
