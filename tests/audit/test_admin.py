"""The audit event admin as a logged-in superuser: read-only, filtered, searched, and linked by trace."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from causeloop_errors.audit.models import AuditEvent
from causeloop_errors.audit.repeats import repeats
from tests.conftest import RateLimitClock

pytestmark = [
    pytest.mark.urls("tests.urls"),
    pytest.mark.django_db,
    pytest.mark.usefixtures("app_defaults", "no_request_in_flight"),
]

CHANGELIST = "/admin/causeloop_audit/auditevent/"


@pytest.fixture
def admin_client() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client


@pytest.fixture
def event() -> AuditEvent:
    return AuditEvent.objects.create(
        trace_id="trace-0001-forbidden",
        last_trace_id="trace-0001-forbidden",
        action="auth.forbidden",
        code="forbidden",
        status=403,
        actor_username="bob",
        client_ip="203.0.113.7",
        method="GET",
        path="/api/things",
    )


def _shown(response: Any) -> list[AuditEvent]:
    assert response.status_code == 200, response.content[:300]
    return list(response.context["cl"].result_list)


# --- read-only ---------------------------------------------------------------------------------------------------


def test_the_changelist_offers_no_add_button_and_no_delete_action(admin_client: Client, event: AuditEvent) -> None:
    response = admin_client.get(CHANGELIST)

    page = response.content.decode()
    assert _shown(response) == [event]
    assert f'href="{CHANGELIST}add/"' not in page
    assert "delete_selected" not in page


def test_an_event_page_shows_its_fields_without_a_save_or_delete_button(
    admin_client: Client, event: AuditEvent
) -> None:
    response = admin_client.get(f"{CHANGELIST}{event.pk}/change/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "trace-0001-forbidden" in page and "203.0.113.7" in page
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert f"{CHANGELIST}{event.pk}/delete/" not in page
    assert 'name="trace_id"' not in page  # shown, not editable


def test_adding_changing_or_deleting_an_event_is_refused(admin_client: Client, event: AuditEvent) -> None:
    fields = {"trace_id": "forged", "action": "auth.forbidden", "occurrences": "1", "details": "{}"}

    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}add/", fields).status_code == 403
    assert admin_client.post(f"{CHANGELIST}{event.pk}/change/", fields).status_code == 403
    assert admin_client.get(f"{CHANGELIST}{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})

    assert list(AuditEvent.objects.values_list("pk", "trace_id")) == [(event.pk, "trace-0001-forbidden")]


def test_the_model_admin_grants_no_add_change_or_delete_permission_even_to_a_superuser(
    admin_client: Client, event: AuditEvent
) -> None:
    response = admin_client.get(CHANGELIST)
    model_admin = response.context["cl"].model_admin
    request = response.wsgi_request

    assert model_admin.has_view_permission(request, event)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


# --- filters and search ------------------------------------------------------------------------------------------


@pytest.fixture
def many() -> dict[str, AuditEvent]:
    now = timezone.now()

    def make(name: str, **fields: Any) -> AuditEvent:
        return AuditEvent.objects.create(trace_id=f"trace-{name}", last_trace_id=f"trace-{name}", **fields)

    return {
        "forbidden": make("forbidden", action="auth.forbidden", code="forbidden", actor_username="bob"),
        "mfa": make(
            "mfa",
            action="policy.mfa_required",
            code="mfa_required",
            workspace_key="acme",
            actor_username="alice",
            client_ip="203.0.113.7",
        ),
        "sso": make("sso", action="policy.sso_required", code="sso_required", workspace_key="globex"),
        "old": make(
            "old",
            action="ratelimit.exceeded",
            code="rate_limited",
            client_ip="198.51.100.4",
            created_at=now - timedelta(days=30),
        ),
    }


def test_the_changelist_offers_filters_by_action_code_workspace_and_date(
    admin_client: Client, many: dict[str, AuditEvent]
) -> None:
    page = admin_client.get(CHANGELIST).content.decode()

    for title in ("By action", "By code", "By workspace key", "By created at"):
        assert title in page, title


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "auth.forbidden"}, {"forbidden"}),
        ({"code": "mfa_required"}, {"mfa"}),
        ({"workspace_key": "globex"}, {"sso"}),
        ({"action": "policy.mfa_required", "workspace_key": "globex"}, set()),
    ],
)
def test_the_changelist_filters_by_action_code_and_workspace(
    admin_client: Client, many: dict[str, AuditEvent], query: dict[str, str], expected: set[str]
) -> None:
    shown = _shown(admin_client.get(CHANGELIST, query))

    assert {event.trace_id.removeprefix("trace-") for event in shown} == expected


def test_the_changelist_filters_by_date(admin_client: Client, many: dict[str, AuditEvent]) -> None:
    now = timezone.now()
    last_week = {"created_at__gte": (now - timedelta(days=7)).isoformat(), "created_at__lt": now.isoformat()}
    last_month = timezone.localtime(many["old"].created_at)
    drill_down = {"created_at__year": str(last_month.year), "created_at__month": str(last_month.month)}

    recent = {event.trace_id for event in _shown(admin_client.get(CHANGELIST, last_week))}
    in_that_month = {event.trace_id for event in _shown(admin_client.get(CHANGELIST, drill_down))}

    assert recent == {"trace-forbidden", "trace-mfa", "trace-sso"}
    assert "trace-old" in in_that_month and len(in_that_month) in (1, 4)  # 4 when 30 days ago is this month


@pytest.mark.parametrize(
    ("term", "expected"),
    [("trace-mfa", {"mfa"}), ("bob", {"forbidden"}), ("ALICE", {"mfa"}), ("198.51.100.4", {"old"}), ("trace", set())],
)
def test_the_changelist_searches_by_exact_trace_id_username_and_exact_ip(
    admin_client: Client, many: dict[str, AuditEvent], term: str, expected: set[str]
) -> None:
    shown = _shown(admin_client.get(CHANGELIST, {"q": term}))

    assert {event.trace_id.removeprefix("trace-") for event in shown} == expected


def test_search_finds_a_merged_event_by_the_trace_id_of_its_latest_occurrence(
    admin_client: Client, many: dict[str, AuditEvent]
) -> None:
    AuditEvent.objects.filter(pk=many["sso"].pk).update(occurrences=7, last_trace_id="trace-sso-seventh")

    assert _shown(admin_client.get(CHANGELIST, {"q": "trace-sso-seventh"})) == [many["sso"]]


# --- the link to all events of a trace ---------------------------------------------------------------------------


def _trace_links(page: str) -> dict[str, str]:
    """Return {trace id: href} of the changelist's "trace" column."""
    links = re.findall(r'<td class="field-same_trace"><a href="([^"]+)">([^<]+)</a></td>', page)
    return {html.unescape(text): html.unescape(href) for href, text in links}


def test_each_event_links_to_exactly_the_events_of_its_trace(
    admin_client: Client, rate_limit_rule: Any, ratelimit_clock: RateLimitClock
) -> None:
    rate_limit_rule("audit-observe", "1/m", key="ip", path_prefix="/api/audit/", mode="observe")
    client = Client(raise_request_exception=False)
    first = client.get("/api/audit/fail/crash")["X-Request-Id"]  # one event: api.internal_error
    second = client.get("/api/audit/plain-crash")["X-Request-Id"]  # two: ratelimit.observed, api.internal_error

    links = _trace_links(admin_client.get(CHANGELIST).content.decode())

    assert set(links) >= {first, second}
    for trace_id, expected in ((first, 1), (second, 2)):
        shown = _shown(admin_client.get(links[trace_id]))
        assert {event.trace_id for event in shown} == {trace_id}
        assert len(shown) == expected == AuditEvent.objects.filter(trace_id=trace_id).count()
    assert {event.action for event in _shown(admin_client.get(links[second]))} == {
        "api.internal_error",
        "ratelimit.observed",
    }


def test_the_trace_link_also_shows_a_merged_event_whose_latest_occurrence_was_in_that_trace(
    admin_client: Client, rate_limit_rule: Any, ratelimit_clock: RateLimitClock
) -> None:
    rate_limit_rule("audit-observe", "1/m", key="ip", path_prefix="/api/audit/", mode="observe")
    User.objects.create_user("bob")
    client = Client(raise_request_exception=False)
    headers = {"HTTP_AUTHORIZATION": "Test bob pwd"}
    client.get("/api/audit/fail/forbidden", **headers)  # auth.forbidden, a new row
    second = client.get("/api/audit/fail/forbidden", **headers)["X-Request-Id"]  # observed + merged forbidden
    repeats.flush(force=True)  # the merged repeat is written (within AUDIT_FLUSH_SECONDS, or by flush_audit_events)

    links = _trace_links(admin_client.get(CHANGELIST).content.decode())

    shown = {event.action for event in _shown(admin_client.get(links[second]))}
    assert shown == {"ratelimit.observed", "auth.forbidden"}
