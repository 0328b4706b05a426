"""Shared fixtures. Those of the example API start with ``demo_`` (and ``api_client``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from causeloop_errors.policies import store
from example_project.demo import tokens
from example_project.demo.models import Membership, Scope, Workspace

DEMO_PASSWORD = "demo-password"


@pytest.fixture(autouse=True)
def fresh_policy_snapshots() -> Iterator[None]:
    """Start and end every test with no policy snapshot: a rolled-back test never runs its on-commit invalidation."""
    store.invalidate()
    yield
    store.invalidate()


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
def api_client() -> Client:
    """Return a test client that answers unexpected exceptions with the 500 envelope instead of raising."""
    return Client(raise_request_exception=False)


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
