"""Shared fixtures. Those of the example API start with ``demo_`` (and ``api_client``)."""

from __future__ import annotations

import logging
import uuid
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import django_ratelimit.core
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors import faults
from causeloop_errors.audit.repeats import repeats
from causeloop_errors.policies.store import store
from causeloop_errors.ratelimits import store as rate_limit_rules
from causeloop_errors.ratelimits.models import RateLimitRule
from causeloop_errors.trace import TraceIdFilter
from example_project.demo import tokens
from example_project.demo.models import Membership, Scope, Workspace

DEMO_PASSWORD = "demo-password"
# The core-alone contract suite runs in a process of its own, with its own settings (tests/test_core_alone.py).
collect_ignore = ["core_alone"]


@pytest.fixture(autouse=True)
def fresh_audit_repeats() -> Iterator[None]:
    """Start every test knowing no audit row and no cache back-off: the previous test's rows were rolled back."""
    repeats.reset()
    faults.reset()
    yield
    repeats.reset()


@pytest.fixture(autouse=True)
def fresh_policy_snapshots() -> Iterator[None]:
    """Start and end every test with no policy snapshot: a rolled-back test never runs its on-commit invalidation."""
    store.invalidate()
    yield
    store.invalidate()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request: pytest.FixtureRequest, settings: Any) -> Iterator[None]:
    """Start and end every test with no rate-limit rule snapshot and no count left by another test.

    A rolled-back test never runs its on-commit bump, so the rules' stamp is bumped here; a test with the database
    starts with its rules read, like a process after its first request (a request sent through the ASGI handler
    by hand closes the test's connection before the view, so it must not be the one to read them). Counts get a
    cache prefix of their own (django-ratelimit's ``RATELIMIT_CACHE_PREFIX``) instead of a flushed cache, so a
    Redis shared with other processes keeps their keys; the process-local LocMemCache is simply cleared.
    """
    settings.RATELIMIT_CACHE_PREFIX = f"rl:{uuid.uuid4().hex[:12]}:"
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    rate_limit_rules.stamp.bump()
    if request.node.get_closest_marker("django_db") is not None:
        rate_limit_rules.store.rules()
    yield
    rate_limit_rules.stamp.bump()


class RateLimitClock:
    """Stands in for the ``time`` module inside django-ratelimit's core, which only calls ``time()``.

    django-ratelimit's windows are fixed, and each key's window ends at ``crc32(key) % period`` past a multiple
    of the period; ``seconds_left`` places the clock where a key's window has that many whole seconds left.
    """

    EPOCH = 1_699_999_200  # 2023-11-14 22:00:00 UTC, a multiple of 3600 (and so of 60)

    def __init__(self) -> None:
        self.now = self.EPOCH + 1000.5

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @staticmethod
    def last_second(value: str, period: int, after: int = EPOCH) -> int:
        """Return the last whole second of ``value``'s first window ending at or after ``after``."""
        end = after - after % period + zlib.crc32(value.encode()) % period
        return end if end >= after else end + period

    def seconds_left(self, value: str, period: int, left: int) -> None:
        """Put the clock half a second into the second where ``value``'s window has ``left`` seconds left."""
        self.now = self.last_second(value, period, self.EPOCH + 10 * period) - left + 0.5


@pytest.fixture
def ratelimit_clock(monkeypatch: pytest.MonkeyPatch) -> RateLimitClock:
    """Control the clock django-ratelimit counts windows by (and only that clock)."""
    clock = RateLimitClock()
    monkeypatch.setattr(django_ratelimit.core, "time", clock)
    return clock


@pytest.fixture
def rate_limit_rule(db: None, django_capture_on_commit_callbacks: Any) -> Callable[..., RateLimitRule]:
    """Return ``make(name, rate, **fields)``: a validated rule, saved as if committed, that the next request obeys."""

    def make(name: str = "auth-ip", rate: str = "10/m", **fields: Any) -> RateLimitRule:
        rule = RateLimitRule(name=name, rate=rate, **fields)
        rule.full_clean()
        with django_capture_on_commit_callbacks(execute=True):  # as the test's transaction committing
            rule.save()
        return rule

    return make


@pytest.fixture
def demo_totp_code() -> Callable[..., str]:
    """Return ``code(device, steps_ahead=0)``: the device's TOTP code, computed from its key like an authenticator app.

    A device accepts a code once per time step (``last_t``); ``steps_ahead=1`` gives the next step's code,
    which is still within the default tolerance.
    """

    def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
        value = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step, digits=device.digits)
        return str(value).zfill(device.digits)

    return code


@pytest.fixture
def api_client(error_client: Client) -> Client:
    """Return a test client that answers unexpected exceptions with the 500 envelope instead of raising."""
    return error_client


@pytest.fixture
def demo_workspace(db: None) -> Workspace:
    return Workspace.objects.create(slug="acme", name="Acme Corp")


@pytest.fixture
def demo_other_workspace(db: None) -> Workspace:
    return Workspace.objects.create(slug="globex", name="Globex Corporation")


@pytest.fixture
def demo_user(demo_workspace: Workspace) -> Any:
    """Return alice, member of ``acme`` only, password ``demo-password``."""
    user = get_user_model().objects.create_user("alice", "alice@example.com", DEMO_PASSWORD)
    Membership.objects.create(user=user, workspace=demo_workspace)
    return user


@pytest.fixture
def demo_token(demo_user: Any, demo_workspace: Workspace) -> str:
    """Return the secret of a ``read_write`` token of alice in ``acme``."""
    return tokens.mint(demo_user, demo_workspace, amr=["pwd"]).secret


@pytest.fixture
def demo_read_token(demo_user: Any, demo_workspace: Workspace) -> str:
    """Return the secret of a ``read`` token of alice in ``acme``."""
    return tokens.mint(demo_user, demo_workspace, amr=["pwd"], scope=Scope.READ).secret


@pytest.fixture
def demo_headers(demo_token: str) -> dict[str, str]:
    """Return the headers authenticating as alice in ``acme`` with a ``read_write`` token."""
    return {"Authorization": f"Bearer {demo_token}"}


CROSS_ORIGIN = "https://app.example"


@pytest.fixture
def cross_origin(error_client: Client) -> Client:
    """Make the shared test client's requests cross-origin (an ``Origin`` header, as a browser sends)."""
    error_client.defaults["HTTP_ORIGIN"] = CROSS_ORIGIN
    return error_client


@pytest.fixture
def client(error_client: Client) -> Client:
    """A test client that answers server errors like a real server instead of re-raising them (the plugin's)."""
    return error_client


@pytest.fixture
def app_defaults(settings: Any) -> None:
    """Run on the app's own defaults, not the example project's WORKSPACE_MODEL and members."""
    settings.CAUSELOOP_ERRORS = {}


@pytest.fixture
def no_request_in_flight() -> None:
    """Start without a trace id or request left by a test that drove the middleware directly."""
    from causeloop_errors import trace

    trace.clear_trace_id()


class ListHandler(logging.Handler):
    """Keep the log records of a test, with their trace id."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.addFilter(TraceIdFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def request_log() -> Iterator[ListHandler]:
    """Collect the records of ``django.request``, ``django.security`` and ``causeloop_errors`` made in the test."""
    handler = ListHandler()
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security", "causeloop_errors")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)
