"""Policy decisions, and the per-process store invalidated through the shared cache."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.auth_context import AuthContext
from causeloop_errors.policies.decisions import GRACE_HEADER, decide
from causeloop_errors.policies.models import WorkspacePolicy
from causeloop_errors.policies.store import Policy, PolicyStore

pytestmark = pytest.mark.django_db

PWD = AuthContext(frozenset({"pwd"}), "token")
PWD_OTP = AuthContext(frozenset({"pwd", "otp"}), "token")
SSO = AuthContext(frozenset({"sso"}), "token")
SERVICE = AuthContext(frozenset({"pwd"}), "token", service_account=True)


@pytest.fixture
def user() -> User:
    return User.objects.create_user("dana")


def test_no_requirement_allows_everyone(user: User) -> None:
    assert decide(Policy("acme"), PWD, user).allowed


def test_mfa_without_a_device_is_enrollment_required(user: User) -> None:
    error = decide(Policy("acme", require_mfa=True), PWD, user).error
    assert error is not None and error.code == "mfa_required"
    assert error.details == {"workspace": "acme", "reason": "enrollment_required"}
    assert error.message is None  # the catalog's contract message: "MFA enrollment is required by this workspace."


def test_mfa_with_a_device_but_no_verification_is_verification_required(user: User) -> None:
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    TOTPDevice.objects.create(user=User.objects.create_user("other"), name="x", confirmed=True)
    error = decide(Policy("acme", require_mfa=True), PWD, user).error
    assert error is not None and error.details == {"workspace": "acme", "reason": "verification_required"}


def test_an_unconfirmed_device_does_not_count_as_enrolled(user: User) -> None:
    TOTPDevice.objects.create(user=user, name="pending", confirmed=False)
    error = decide(Policy("acme", require_mfa=True), PWD, user).error
    assert error is not None and error.details["reason"] == "enrollment_required"  # type: ignore[index]


def test_mfa_verified_request_passes(user: User) -> None:
    assert decide(Policy("acme", require_mfa=True), PWD_OTP, user).allowed


def test_grace_period_lets_non_compliant_requests_pass_with_a_header_naming_the_deadline(user: User) -> None:
    deadline = timezone.now() + timedelta(days=3)
    policy = Policy("acme", require_mfa=True, mfa_enforced_from=deadline)
    before = decide(policy, PWD, user, now=deadline - timedelta(seconds=1))
    assert before.allowed and before.headers == {GRACE_HEADER: deadline.isoformat()}
    after = decide(policy, PWD, user, now=deadline)
    assert after.error is not None and after.error.code == "mfa_required"


def test_sso_required_denies_password_tokens_and_allows_sso(user: User) -> None:
    policy = Policy("globex", require_sso=True)
    error = decide(policy, PWD, user).error
    assert error is not None and (error.code, error.details) == ("sso_required", {"workspace": "globex"})
    assert decide(policy, SSO, user).allowed


def test_break_glass_user_passes_sso_and_is_flagged(user: User) -> None:
    decision = decide(Policy("globex", require_sso=True, break_glass_user_ids=frozenset({user.pk})), PWD, user)
    assert decision.allowed and decision.break_glass


def test_break_glass_does_not_waive_mfa(user: User) -> None:
    policy = Policy("globex", require_sso=True, require_mfa=True, break_glass_user_ids=frozenset({user.pk}))
    error = decide(policy, PWD, user).error
    assert error is not None and error.code == "mfa_required"


def test_when_both_are_required_sso_is_reported_first(user: User) -> None:
    error = decide(Policy("acme", require_mfa=True, require_sso=True), PWD, user).error
    assert error is not None and error.code == "sso_required"
    error = decide(Policy("acme", require_mfa=True, require_sso=True), SSO, user).error
    assert error is not None and error.code == "mfa_required"


def test_service_accounts_are_exempt_unless_the_policy_says_otherwise(user: User) -> None:
    policy = Policy("acme", require_mfa=True, require_sso=True)
    assert decide(policy, SERVICE, user).allowed
    strict = Policy("acme", require_mfa=True, require_sso=True, exempt_service_accounts=False)
    assert not decide(strict, SERVICE, user).allowed


# --- the store ---------------------------------------------------------------------------------------


def test_workspace_policy_overrides_the_default() -> None:
    WorkspacePolicy.objects.create(workspace_key="", require_sso=True)
    WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store = PolicyStore()
    assert store.get("acme") == Policy("acme", require_mfa=True)
    assert store.get("globex") == Policy("globex", require_sso=True)


def test_no_policy_at_all_is_none() -> None:
    assert PolicyStore().get("acme") is None


def test_store_serves_from_memory_after_warm_up(
    django_assert_num_queries: object, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # as committed: the store keeps what it reads
        WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store = PolicyStore()
    store.get("acme")
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert store.get("acme") == Policy("acme", require_mfa=True)


@pytest.mark.django_db(transaction=True)
def test_a_change_is_seen_by_another_process_through_a_second_cache_client() -> None:
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    here, elsewhere = PolicyStore(), PolicyStore()
    seen: list[object] = []

    def read_elsewhere() -> None:  # a new thread gets its own cache client, as another process would
        try:
            seen.append(elsewhere.get("acme"))
        finally:
            connections.close_all()

    for _ in range(2):  # warm both
        here.get("acme")
        thread = threading.Thread(target=read_elsewhere)
        thread.start()
        thread.join()
    policy.require_mfa = False
    policy.save()  # invalidation runs on commit
    thread = threading.Thread(target=read_elsewhere)
    thread.start()
    thread.join()
    assert seen[-1] == Policy("acme", require_mfa=False)
    assert here.get("acme") == Policy("acme", require_mfa=False)


@pytest.mark.django_db(transaction=True)
def test_break_glass_changes_and_deletes_invalidate_too() -> None:
    user = User.objects.create_user("erin")
    policy = WorkspacePolicy.objects.create(workspace_key="globex", require_sso=True)
    store = PolicyStore()
    assert store.get("globex") == Policy("globex", require_sso=True)
    policy.break_glass_users.add(user)
    assert store.get("globex") == Policy("globex", require_sso=True, break_glass_user_ids=frozenset({user.pk}))
    policy.delete()
    assert store.get("globex") is None


def test_a_process_local_cache_keeps_the_stamp_in_memory() -> None:
    from django.core.cache import cache

    from causeloop_errors.policies.store import VERSION_KEY, stamp

    before = stamp.current()
    stamp.bump()
    assert stamp.current() != before
    cache.delete(VERSION_KEY)  # nothing to lose: one process, the stamp lives in its memory
    assert stamp.current() == stamp.current()


def test_an_evicted_version_key_reloads_instead_of_serving_stale_policies(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CACHES = {"default": {"BACKEND": "tests.shared_cache.SharedLocMemCache"}}
    from django.core.cache import cache

    from causeloop_errors import versioning
    from causeloop_errors.policies.store import VERSION_KEY

    now = [1000.0]
    monkeypatch.setattr(versioning, "time", type("Clock", (), {"monotonic": staticmethod(lambda: now[0])}))
    policy = WorkspacePolicy.objects.create(workspace_key="acme", require_mfa=True)
    store = PolicyStore()
    store.get("acme")
    WorkspacePolicy.objects.filter(pk=policy.pk).update(require_mfa=False)  # no signal: only eviction can tell
    cache.delete(VERSION_KEY)
    now[0] += 1.0  # two CONFIG_CHECK_SECONDS with no response in between: the request reads the stamp first
    assert store.get("acme") == Policy("acme", require_mfa=False)
