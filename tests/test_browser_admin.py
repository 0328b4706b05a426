"""The admin in a real browser, against the example project on a live server, with the API called over HTTP.

An administrator signs in through the login form, requires MFA for a workspace and sees a password-only token
refused; adds a rate-limit rule and sees the limit hit; pastes the 429's trace id into the audit admin's search
and finds its event. Each step is saved as a PNG (``tests/browser.py``). Skipped where Chromium is not installed.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from email.message import Message
from typing import Any, NamedTuple

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.ratelimits.models import RateLimitRule
from tests import browser
from tests.browser import Steps, admin_login, choose, submit, tick, type_into, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not browser.available(), reason=browser.SKIP_REASON),
]

PASSWORD = "demo-password"  # seed_demo's, for alice, bob and the staff superuser admin
ISSUES = "/api/issues"
RULE, LIMIT = "issues-ip", 2


class Answer(NamedTuple):
    status: int
    headers: Message
    body: Any


def call(url: str, body: Any = None, token: str | None = None) -> Answer:
    """Send a GET (or a JSON POST when ``body`` is given) over a real socket and return the answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, response.headers, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.headers, json.loads(error.read()))


def assert_error(answer: Answer, status: int, code: str) -> dict[str, Any]:
    """Assert ``answer`` is the envelope with ``status`` and ``code``, traced by its header; return the error."""
    assert answer.status == status, answer
    assert answer.headers["Content-Type"] == "application/json"
    assert list(answer.body) == ["error"], answer.body
    error: dict[str, Any] = answer.body["error"]
    assert error["code"] == code, error
    assert answer.headers["X-Request-Id"] == error["trace_id"]
    return error


def password_token(base_url: str, username: str, workspace: str) -> str:
    """Return a bearer token obtained with the password alone (no OTP, no SSO)."""
    grant = {"username": username, "password": PASSWORD, "workspace": workspace}
    answer = call(f"{base_url}/auth/token", grant)
    assert answer.status == 200, answer
    token: str = answer.body["access_token"]
    return token


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module, with a fresh profile; quit however the tests end."""
    driver = browser.start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(chromium: WebDriver, live_server: Any) -> WebDriver:
    """Return the browser on the live server with no cookie left by an earlier test, the demo data seeded."""
    call_command("seed_demo", stdout=io.StringIO())  # commits: the live server reloads policies and rules
    chromium.get(f"{live_server.url}/admin/login/")
    chromium.delete_all_cookies()
    return chromium


def test_a_wrong_password_is_refused_by_the_admin_login_form(page: WebDriver, live_server: Any) -> None:
    steps = Steps(page, "admin login refused")

    admin_login(page, live_server.url, "admin", "not-the-password")

    note = wait_for(page, ".errornote").text
    steps.shot("wrong password refused")
    assert "Please enter the correct username and password" in note
    assert page.current_url.startswith(f"{live_server.url}/admin/login/")


def test_requiring_mfa_in_the_admin_refuses_a_password_only_token_of_a_member_without_mfa(
    page: WebDriver, live_server: Any
) -> None:
    steps = Steps(page, "mfa policy")
    bob = password_token(live_server.url, "bob", "initech")
    assert call(f"{live_server.url}{ISSUES}", token=bob).status == 200  # initech is open

    admin_login(page, live_server.url, "admin", PASSWORD)
    user_tools = wait_for(page, "#user-tools").text
    steps.shot("signed in")
    assert "admin" in user_tools.lower()
    page.get(f"{live_server.url}/admin/causeloop_policies/workspacepolicy/")
    listed = wait_for(page, "#result_list").text
    steps.shot("policies before")
    assert "acme" in listed and "initech" not in listed
    submit(page, ".object-tools a.addlink")
    choose(page, "#id_workspace_key", "initech")
    tick(page, "#id_require_mfa")
    steps.shot("initech requires mfa")
    submit(page, "input[name=_save]")
    message = wait_for(page, ".messagelist .success").text
    steps.shot("policy saved")
    assert "was added successfully" in message
    assert "initech" in wait_for(page, "#result_list").text
    assert WorkspacePolicy.objects.get(workspace_key="initech").require_mfa

    refused = call(f"{live_server.url}{ISSUES}", token=bob)

    error = assert_error(refused, 403, "mfa_required")
    assert error["details"] == {"workspace": "initech", "reason": "enrollment_required"}


def test_a_rule_added_in_the_admin_limits_requests_and_its_429_is_found_in_the_audit_admin_by_trace_id(
    page: WebDriver, live_server: Any
) -> None:
    steps = Steps(page, "rate rule and audit")
    bob = password_token(live_server.url, "bob", "initech")
    admin_login(page, live_server.url, "admin", PASSWORD)
    wait_for(page, "#user-tools")
    page.get(f"{live_server.url}/admin/causeloop_ratelimits/ratelimitrule/")
    submit(page, ".object-tools a.addlink")
    type_into(page, "#id_name", RULE)
    type_into(page, "#id_rate", "2 per minute")
    choose(page, "#id_key", "ip")
    type_into(page, "#id_path_prefix", ISSUES)
    submit(page, "input[name=_save]")
    rate_error = wait_for(page, ".field-rate .errorlist").text
    steps.shot("malformed rate refused")
    assert "Enter a rate like 10/m" in rate_error
    assert not RateLimitRule.objects.filter(name=RULE).exists()
    type_into(page, "#id_rate", f"{LIMIT}/m")
    submit(page, "input[name=_save]")
    message = wait_for(page, ".messagelist .success").text
    steps.shot("rule saved")
    assert "was added successfully" in message
    assert RULE in wait_for(page, "#result_list").text

    # Windows are fixed: one may end between two requests and refill the count, so send until refused.
    answers: list[Answer] = []
    while len(answers) < 2 * LIMIT + 1 and (not answers or answers[-1].status != 429):
        answers.append(call(f"{live_server.url}{ISSUES}", token=bob))
    refused = answers[-1]
    error = assert_error(refused, 429, "rate_limited")
    assert [answer.status for answer in answers[-LIMIT - 1 : -1]] == [200] * LIMIT
    assert answers[-2].headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert error["details"]["rule"] == RULE and error["details"]["limit"] == LIMIT

    page.get(f"{live_server.url}/admin/causeloop_audit/auditevent/")
    type_into(page, "#searchbar", error["trace_id"])
    steps.shot("trace id pasted")
    submit(page, "#changelist-search [type=submit]")
    wait_for(page, "#result_list")
    rows = [row.text for row in page.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    steps.shot("event found by trace id")
    assert len(rows) == 1, rows
    assert "ratelimit.exceeded" in rows[0] and "rate_limited" in rows[0] and "429" in rows[0]
    assert error["trace_id"] in rows[0]

    type_into(page, "#searchbar", str(uuid.uuid4()))
    submit(page, "#changelist-search [type=submit]")
    search = wait_for(page, "#changelist-search").text
    steps.shot("unknown trace id finds nothing")
    assert "0 results" in search
    assert not page.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
