"""Which rules cover a request, which one wins, and how each process keeps and refreshes its copy of them."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from causeloop_errors.ratelimits import decisions as ratelimits
from causeloop_errors.ratelimits.models import RateLimitRule
from causeloop_errors.ratelimits.rules import Rule, Target, select
from causeloop_errors.ratelimits.store import RuleStore, stamp, store
from tests.conftest import RateLimitClock

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.usefixtures("app_defaults")]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
IP = "127.0.0.1"
COUNTED = "/api/rl/counted"
Make = Callable[..., RateLimitRule]


@pytest.fixture
def clock(ratelimit_clock: RateLimitClock) -> RateLimitClock:
    ratelimit_clock.seconds_left(IP, 60, 30)
    return ratelimit_clock


def _target(**fields: Any) -> Target:
    return Target(**{"method": "GET", "path": "/api/things", "ip": "198.51.100.7", **fields})


# --- a rule's snapshot -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "limit", "window"),
    [("10/m", 10, 60), ("5/s", 5, 1), ("1000/h", 1000, 3600), ("100/5m", 100, 300), ("7/d", 7, 86400)],
)
def test_a_rule_reads_its_rate_as_django_ratelimit_does(rate: str, limit: int, window: int) -> None:
    rule = Rule("r", rate)
    assert (rule.limit, rule.window) == (limit, window)


@pytest.mark.django_db
def test_a_snapshot_normalises_the_admin_fields() -> None:
    general = RateLimitRule.objects.create(name="general", rate="10/m")
    model = RateLimitRule.objects.create(
        name="office",
        rate="100/5m",
        key="user_or_ip",
        methods="post, put",
        path_prefix="/auth/",
        path_regex=r"^/auth/(token|login)$",
        view_names="TokenView api.views.LoginView",
        throttle_scopes="login,uploads",
        client_networks="203.0.113.0/24, 2001:db8::1",
        workspace_key="acme",
        mode="observe",
        fail_closed=True,
        overrides=general,
        expires_at=NOW,
    )
    rule = Rule.from_model(RateLimitRule.objects.select_related("overrides").get(pk=model.pk))
    assert rule.methods == {"POST", "PUT"}
    assert rule.view_names == {"TokenView", "api.views.LoginView"}
    assert rule.scopes == {"login", "uploads"}
    assert [str(network) for network in rule.networks] == ["203.0.113.0/24", "2001:db8::1/128"]
    assert rule.path_regex is not None and rule.path_regex.pattern == r"^/auth/(token|login)$"
    assert (rule.key, rule.workspace_key, rule.observe, rule.fail_closed) == ("user_or_ip", "acme", True, True)
    assert (rule.overrides, rule.expires_at, rule.limit, rule.window) == ("general", NOW, 100, 300)


# --- what a rule covers ----------------------------------------------------------------------------------------


def test_a_rule_without_selectors_covers_every_request() -> None:
    assert Rule("all", "10/m").covers(_target(), NOW)
    assert Rule("all", "10/m").covers(_target(method="DELETE", path="/anything", ip=None), NOW)


def test_methods_are_matched_exactly() -> None:
    rule = Rule("writes", "10/m", methods=frozenset({"POST", "PUT"}))
    assert rule.covers(_target(method="POST"), NOW) and rule.covers(_target(method="PUT"), NOW)
    assert not rule.covers(_target(method="GET"), NOW)


def test_a_path_prefix_matches_the_start_of_the_path() -> None:
    rule = Rule("auth", "10/m", path_prefix="/auth/")
    assert rule.covers(_target(path="/auth/token"), NOW)
    assert not rule.covers(_target(path="/api/auth/token"), NOW)
    assert not rule.covers(_target(path="/auth"), NOW)


def test_a_path_regex_is_searched_in_the_path() -> None:
    rule = Rule("exports", "10/m", path_regex=re.compile(r"/export$"))
    assert rule.covers(_target(path="/api/reports/7/export"), NOW)
    assert not rule.covers(_target(path="/api/reports/7/export/status"), NOW)


def test_view_names_and_throttle_scopes_match_either_one() -> None:
    rule = Rule("views", "10/m", view_names=frozenset({"Login", "api.views.Token"}), scopes=frozenset({"uploads"}))
    assert rule.covers(_target(view_names=frozenset({"Login", "api.views.Login"})), NOW)
    assert rule.covers(_target(view_names=frozenset({"Token", "api.views.Token"})), NOW)
    assert rule.covers(_target(view_names=frozenset({"Upload"}), scope="uploads"), NOW)
    assert not rule.covers(_target(view_names=frozenset({"Other", "api.views.Other"}), scope="downloads"), NOW)
    assert not rule.covers(_target(), NOW)


def test_client_networks_match_ipv4_and_ipv6_and_never_an_unknown_client() -> None:
    snapshot = Rule("office", "10/m", networks=(ip_network("203.0.113.0/24"), ip_network("2001:db8::/32")))
    assert snapshot.covers(_target(ip="203.0.113.200"), NOW)
    assert snapshot.covers(_target(ip="2001:db8:1::5"), NOW)
    assert not snapshot.covers(_target(ip="203.0.114.1"), NOW)
    assert not snapshot.covers(_target(ip=None), NOW)


def test_a_workspace_key_covers_only_that_workspace() -> None:
    rule = Rule("acme", "10/m", workspace_key="acme")
    assert rule.covers(_target(workspace="acme"), NOW)
    assert not rule.covers(_target(workspace="globex"), NOW)
    assert not rule.covers(_target(workspace=None), NOW)


def test_every_selector_that_is_set_must_match() -> None:
    rule = Rule("auth-posts", "10/m", methods=frozenset({"POST"}), path_prefix="/auth/")
    assert rule.covers(_target(method="POST", path="/auth/token"), NOW)
    assert not rule.covers(_target(method="GET", path="/auth/token"), NOW)
    assert not rule.covers(_target(method="POST", path="/api/token"), NOW)


def test_a_rule_stops_covering_at_its_expiry() -> None:
    rule = Rule("temporary", "10/m", expires_at=NOW)
    assert rule.covers(_target(), NOW - timedelta(microseconds=1))
    assert not rule.covers(_target(), NOW)


# --- precedence ------------------------------------------------------------------------------------------------

GENERAL = Rule("general", "10/m", path_prefix="/auth/")
OFFICE = Rule(
    "office",
    "100/m",
    path_prefix="/auth/",
    networks=(ip_network("203.0.113.0/24"),),
    overrides="general",
    expires_at=NOW + timedelta(days=2),
)


def test_a_covering_rule_that_overrides_another_replaces_it() -> None:
    office = _target(path="/auth/token", ip="203.0.113.9")
    assert [rule.name for rule in select((GENERAL, OFFICE), office, NOW)] == ["office"]


def test_an_overriding_rule_that_does_not_cover_the_request_leaves_the_other_in_force() -> None:
    elsewhere = _target(path="/auth/token", ip="198.51.100.7")
    assert [rule.name for rule in select((GENERAL, OFFICE), elsewhere, NOW)] == ["general"]


def test_after_the_override_expires_the_general_rule_applies_again() -> None:
    office = _target(path="/auth/token", ip="203.0.113.9")
    assert [rule.name for rule in select((GENERAL, OFFICE), office, NOW + timedelta(days=2))] == ["general"]


def test_an_observe_rule_that_overrides_another_leaves_it_enforcing() -> None:
    trial = Rule("office-trial", "5/m", path_prefix="/auth/", overrides="general", observe=True)
    request = _target(path="/auth/token")
    assert sorted(rule.name for rule in select((GENERAL, trial), request, NOW)) == ["general", "office-trial"]


def test_rules_that_do_not_override_each_other_all_apply() -> None:
    other = Rule("posts", "5/m", methods=frozenset({"POST"}))
    request = _target(method="POST", path="/auth/token")
    assert [rule.name for rule in select((GENERAL, other), request, NOW)] == ["general", "posts"]


# --- matching through HTTP -------------------------------------------------------------------------------------


def _limited(client: Client, path: str = COUNTED, method: str = "get", **extra: Any) -> str | None:
    """Return the X-RateLimit-Limit a request is answered with (None: no enforcing rule covered it)."""
    return getattr(client, method)(path, **extra).get("X-RateLimit-Limit")


@pytest.mark.django_db
def test_methods_prefix_and_regex_select_requests_over_http(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("posts", "7/m", methods="POST", path_prefix="/api/rl/")
    rate_limit_rule("others", "8/m", path_regex=r"/(other|scoped)$")
    assert _limited(client, method="post") == "7"
    assert _limited(client) is None
    assert _limited(client, "/api/rl/other") == "8"
    assert _limited(client, "/api/rl/scoped", method="post") == "7"  # both cover it: the closer one is shown


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["Scoped", "tests.ratelimit_views.Scoped"])
def test_drf_view_names_match_the_class_name_or_its_dotted_path(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, name: str
) -> None:
    rate_limit_rule("by-view", "7/m", view_names=name)
    assert _limited(client, "/api/rl/scoped") == "7"
    assert _limited(client, "/api/rl/other") is None


@pytest.mark.django_db
def test_plain_view_names_match_the_function(client: Client, clock: RateLimitClock, rate_limit_rule: Make) -> None:
    rate_limit_rule("by-view", "7/m", view_names="tests.ratelimit_views.plain")
    assert _limited(client, "/api/rl/plain") == "7"
    assert _limited(client) is None


@pytest.mark.django_db
def test_throttle_scopes_match_the_views_throttle_scope(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("by-scope", "7/m", throttle_scopes="uploads")
    assert _limited(client, "/api/rl/scoped") == "7"
    assert _limited(client) is None


@pytest.mark.django_db
def test_client_networks_select_by_client_ip(client: Client, clock: RateLimitClock, rate_limit_rule: Make) -> None:
    rate_limit_rule("office", "7/m", client_networks="203.0.113.0/24")
    assert _limited(client, REMOTE_ADDR="203.0.113.20") == "7"
    assert _limited(client) is None


@pytest.mark.django_db
def test_a_workspace_rule_covers_requests_into_that_workspace(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make
) -> None:
    rate_limit_rule("acme-ip", "7/m", workspace_key="acme")
    assert _limited(client, HTTP_X_WORKSPACE="acme") == "7"
    assert _limited(client, "/api/rl/w/acme/counted") == "7"
    assert _limited(client, HTTP_X_WORKSPACE="globex") is None
    assert _limited(client) is None


@pytest.mark.django_db
def test_a_disabled_rule_does_not_apply(client: Client, clock: RateLimitClock, rate_limit_rule: Make) -> None:
    rate_limit_rule("off", "1/m", enabled=False)
    assert [client.get(COUNTED).status_code for _ in range(3)] == [200] * 3
    assert _limited(client) is None


@pytest.mark.django_db
def test_an_expired_rule_stops_applying_without_any_save(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    expiry = timezone.now() + timedelta(hours=1)
    rate_limit_rule("temporary", "7/m", expires_at=expiry)
    assert _limited(client) == "7"
    monkeypatch.setattr(ratelimits, "timezone", SimpleNamespace(now=lambda: expiry))
    with CaptureQueriesContext(connection) as queries:
        assert _limited(client) is None
    assert not [query for query in queries.captured_queries if "ratelimitrule" in query["sql"].lower()]


@pytest.mark.django_db
def test_an_office_network_gets_a_higher_rate_until_its_rule_expires(
    client: Client, clock: RateLimitClock, rate_limit_rule: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    friday = timezone.now() + timedelta(days=2)
    general = rate_limit_rule("auth-ip", "2/m", path_prefix="/api/rl/")
    rate_limit_rule(
        "office", "5/m", path_prefix="/api/rl/", client_networks="203.0.113.0/24", overrides=general, expires_at=friday
    )
    office = {"REMOTE_ADDR": "203.0.113.20"}
    assert [client.get(COUNTED, **office).status_code for _ in range(6)] == [200] * 5 + [429]
    assert [client.get(COUNTED).status_code for _ in range(3)] == [200, 200, 429]  # others: the general rule
    monkeypatch.setattr(ratelimits, "timezone", SimpleNamespace(now=lambda: friday))
    after = client.get(COUNTED, REMOTE_ADDR="203.0.113.21")
    assert (after.status_code, after["X-RateLimit-Limit"]) == (200, "2")


# --- the per-process store -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_rules_are_read_once_per_process_until_the_stamp_changes(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # as committed: the store keeps what it reads
        RateLimitRule.objects.create(name="first", rate="10/m")
    stamp.bump()
    local = RuleStore()
    assert [rule.name for rule in local.rules()] == ["first"]
    RateLimitRule.objects.update(rate="20/m")  # no signal: the stamp stays
    with CaptureQueriesContext(connection) as queries:
        assert [rule.rate for rule in local.rules()] == ["10/m"]
    assert queries.captured_queries == []
    stamp.bump()
    assert [rule.rate for rule in local.rules()] == ["20/m"]


@pytest.mark.django_db
def test_saving_and_deleting_a_rule_is_seen_by_the_next_request(
    client: Client, clock: RateLimitClock, django_capture_on_commit_callbacks: Any
) -> None:
    assert _limited(client) is None
    with django_capture_on_commit_callbacks(execute=True):
        rule = RateLimitRule.objects.create(name="api-ip", rate="10/m", path_prefix="/api/rl/")
    assert _limited(client) == "10"
    rule.rate = "20/m"
    with django_capture_on_commit_callbacks(execute=True):
        rule.save()
    assert _limited(client) == "20"
    with django_capture_on_commit_callbacks(execute=True):
        rule.delete()
    assert _limited(client) is None


@pytest.mark.django_db
def test_a_save_is_published_to_other_processes_only_once_its_transaction_commits(
    client: Client, clock: RateLimitClock, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.CACHES = {"default": {"BACKEND": "tests.shared_cache.SharedLocMemCache"}}  # as a shared Redis
    assert _limited(client) is None
    published = caches["default"].get(stamp.key)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        RateLimitRule.objects.create(name="api-ip", rate="10/m", path_prefix="/api/rl/")
    assert _limited(client) == "10"  # the saving process reads it at once, inside its transaction (a test case)
    assert caches["default"].get(stamp.key) == published  # not committed yet: other processes keep their rules
    for callback in callbacks:
        callback()
    assert caches["default"].get(stamp.key) != published
    assert _limited(client) == "10"


@pytest.mark.django_db(transaction=True)
def test_a_save_is_seen_by_another_cache_client_and_store() -> None:
    """A second thread has its own cache client and database connection, like another process."""

    def in_another_thread() -> list[str]:
        seen: list[str] = []

        def run() -> None:
            try:
                seen.extend(rule.name for rule in other.rules())
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        return seen

    other = RuleStore()
    assert in_another_thread() == []
    RateLimitRule.objects.create(name="api-ip", rate="10/m")  # autocommit: the on-commit bump runs now
    assert in_another_thread() == ["api-ip"]
    RateLimitRule.objects.get(name="api-ip").delete()
    assert in_another_thread() == []
    assert store.rules() == ()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"rate": "abc"}, {"path_regex": "(unclosed"}, {"client_networks": "office"}],
    ids=["rate", "regex", "network"],
)
def test_a_rule_row_the_form_would_reject_does_not_take_the_site_down(fields: dict[str, str]) -> None:
    RateLimitRule.objects.create(**{"name": "broken", "rate": "10/m", "path_prefix": "/auth/", **fields})
    stamp.bump()
    client = Client(raise_request_exception=False)
    assert client.get("/pages/ok").status_code == 200
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_rule_read_inside_a_transaction_that_rolls_back_leaves_no_phantom() -> None:
    from django.db import transaction

    class RolledBack(Exception):
        pass

    assert store.rules() == ()
    with pytest.raises(RolledBack), transaction.atomic():
        RateLimitRule.objects.create(name="phantom", rate="1/m", path_prefix="/api/")
        assert [rule.name for rule in store.rules()] == ["phantom"]  # the saving code sees its change
        assert [rule.name for rule in store.rules()] == ["phantom"]  # read afresh, never kept for good
        raise RolledBack
    assert store.rules() == ()  # the rollback dropped the save's on-commit callback: read again, nothing


@pytest.mark.django_db(transaction=True)
def test_a_rule_committed_is_kept_and_read_once() -> None:
    from django.db import transaction

    with transaction.atomic():
        RateLimitRule.objects.create(name="kept", rate="1/m", path_prefix="/api/")
    assert [rule.name for rule in store.rules()] == ["kept"]
    with CaptureQueriesContext(connection) as queries:
        assert [rule.name for rule in store.rules()] == ["kept"]
    assert len(queries) == 0
