"""The demo identity provider: which subject tokens it vouches for."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from hypothesis import given
from hypothesis import strategies as st

from example_project.demo import sso


class _Clock:
    """Stands in for the ``time`` module of ``django.core.signing``, ``offset`` seconds ahead."""

    offset = 0.0

    @classmethod
    def time(cls) -> float:
        return time.time() + cls.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[_Clock]:
    monkeypatch.setattr(signing, "time", _Clock)
    monkeypatch.setattr(_Clock, "offset", 0.0)
    return _Clock


def test_an_issued_token_asserts_its_username() -> None:
    assert sso.subject(sso.issue("alice")) == "alice"


def test_a_token_is_valid_for_five_minutes_and_no_longer(clock: type[_Clock]) -> None:
    token = sso.issue("alice")

    clock.offset = sso.MAX_AGE_SECONDS - 1
    assert sso.subject(token) == "alice"
    clock.offset = sso.MAX_AGE_SECONDS + 1
    assert sso.subject(token) is None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(signing.dumps({"sub": "alice"}, salt="other"), id="other-salt"),
        pytest.param(signing.dumps({"sub": ""}, salt=sso.SALT), id="empty-subject"),
        pytest.param(signing.dumps({"sub": 7}, salt=sso.SALT), id="non-string-subject"),
        pytest.param(signing.dumps(["alice"], salt=sso.SALT), id="not-an-object"),
        pytest.param(signing.Signer(salt=sso.SALT).sign_object({"sub": "alice"}), id="no-timestamp"),
    ],
)
def test_a_token_not_minted_by_the_idp_asserts_nobody(token: str) -> None:
    assert sso.subject(token) is None


def test_a_tampered_token_asserts_nobody() -> None:
    token = sso.issue("alice")
    payload, rest = token.split(":", 1)

    assert sso.subject(sso.issue("mallory").split(":", 1)[0] + ":" + rest) is None
    assert sso.subject(payload + ":" + rest[::-1]) is None


@given(st.text(max_size=300))
def test_any_string_asserts_nobody_without_raising(token: str) -> None:
    assert sso.subject(token) is None
