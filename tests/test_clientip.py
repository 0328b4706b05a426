"""The client's IP: REMOTE_ADDR, or X-Forwarded-For walked right to left through trusted proxies only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, RequestFactory

from causeloop_errors.clientip import client_ip
from causeloop_errors.ratelimits.models import RateLimitRule
from tests.conftest import RateLimitClock

pytestmark = [pytest.mark.urls("tests.urls"), pytest.mark.usefixtures("app_defaults")]

PROXIES = {"TRUSTED_PROXIES": ["10.0.0.0/8", "fd00::/8"]}
COUNTED = "/api/rl/counted"
Make = Callable[..., RateLimitRule]


@pytest.fixture
def behind_proxies(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = PROXIES


def _ip(remote_addr: str, forwarded_for: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_ip(RequestFactory().get("/", **extra))


# --- without trusted proxies -----------------------------------------------------------------------------------


def test_the_client_is_remote_addr_by_default() -> None:
    assert _ip("198.51.100.7") == "198.51.100.7"


def test_x_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    assert _ip("198.51.100.7", "203.0.113.9") == "198.51.100.7"
    assert _ip("10.0.0.1", "203.0.113.9") == "10.0.0.1"


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/gunicorn.sock", "999.1.1.1"])
def test_an_unusable_remote_addr_gives_no_client_ip(remote_addr: str) -> None:
    assert _ip(remote_addr) is None


def test_an_ipv6_peer_is_the_client_in_canonical_form() -> None:
    assert _ip("2001:DB8:0:0::1") == "2001:db8::1"


# --- through trusted proxies -----------------------------------------------------------------------------------


def test_an_untrusted_peer_cannot_forward_for_anyone(behind_proxies: None) -> None:
    assert _ip("198.51.100.7", "203.0.113.9") == "198.51.100.7"


def test_trusted_proxies_are_walked_right_to_left_to_the_first_untrusted_address(behind_proxies: None) -> None:
    assert _ip("10.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert _ip("10.0.0.1", "203.0.113.9, 10.0.0.2") == "203.0.113.9"
    assert _ip("10.0.0.1", " 203.0.113.9 ,10.20.0.2 , 10.0.0.3") == "203.0.113.9"


def test_entries_left_of_the_first_untrusted_address_are_ignored(behind_proxies: None) -> None:
    """Whatever the client wrote itself sits left of the address the first trusted proxy saw."""
    assert _ip("10.0.0.1", "1.2.3.4, 203.0.113.9") == "203.0.113.9"
    assert _ip("10.0.0.1", "10.0.0.99, 203.0.113.9, 10.0.0.2") == "203.0.113.9"


def test_a_trusted_proxy_without_forwarding_header_is_the_client(behind_proxies: None) -> None:
    assert _ip("10.0.0.1") == "10.0.0.1"
    assert _ip("10.0.0.1", "") == "10.0.0.1"


def test_a_chain_of_trusted_proxies_only_ends_at_its_leftmost_address(behind_proxies: None) -> None:
    assert _ip("10.0.0.1", "10.0.0.3, 10.0.0.2") == "10.0.0.3"


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("203.0.113.9, garbage", "10.0.0.1"),  # garbage right of the client: keep what a trusted proxy vouched for
        ("203.0.113.9, garbage, 10.0.0.2", "10.0.0.2"),
        ("garbage, 203.0.113.9", "203.0.113.9"),  # left of the client: never read
        ("203.0.113.9:4711", "10.0.0.1"),  # a port is not an address
        ("unknown", "10.0.0.1"),
        (",,", "10.0.0.1"),
    ],
)
def test_garbage_entries_never_become_the_client(behind_proxies: None, forwarded_for: str, client: str) -> None:
    assert _ip("10.0.0.1", forwarded_for) == client


def test_ipv6_clients_and_proxies(behind_proxies: None) -> None:
    assert _ip("fd00::1", "2001:db8::7") == "2001:db8::7"
    assert _ip("10.0.0.1", "2001:db8::7, fd00::2") == "2001:db8::7"
    assert _ip("fd00::1", "203.0.113.9") == "203.0.113.9"


# --- an IP rule cannot be escaped ------------------------------------------------------------------------------


@pytest.fixture
def ip_rule(ratelimit_clock: RateLimitClock, rate_limit_rule: Make) -> RateLimitRule:
    return rate_limit_rule("api-ip", "2/m", path_prefix="/api/rl/")


@pytest.mark.django_db
def test_a_client_sending_its_own_forwarded_for_is_counted_by_its_address(ip_rule: RateLimitRule) -> None:
    client = Client(raise_request_exception=False)
    statuses = [client.get(COUNTED, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_behind_trusted_proxies_spoofed_left_entries_do_not_escape_the_rule(
    ip_rule: RateLimitRule, behind_proxies: None
) -> None:
    client = Client(raise_request_exception=False, REMOTE_ADDR="10.0.0.1")
    statuses = [client.get(COUNTED, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.9").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get(COUNTED, HTTP_X_FORWARDED_FOR="203.0.113.10").status_code == 200  # another client


@pytest.mark.django_db
def test_clients_behind_a_trusted_proxy_are_counted_apart(ip_rule: RateLimitRule, behind_proxies: None) -> None:
    client = Client(raise_request_exception=False, REMOTE_ADDR="10.0.0.1")
    for n in range(5):
        assert client.get(COUNTED, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code == 200


@pytest.mark.django_db
def test_an_ipv6_client_is_counted_by_its_64_and_cannot_rotate_addresses_in_it(ip_rule: RateLimitRule) -> None:
    client = Client(raise_request_exception=False)
    in_one_64 = ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:1:2:3:4"]
    assert [client.get(COUNTED, REMOTE_ADDR=address).status_code for address in in_one_64] == [200, 200, 429]
    assert client.get(COUNTED, REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


@pytest.mark.django_db
def test_ipv4_mapped_clients_are_counted_as_the_ipv4_address_they_carry_not_as_one_shared_64(
    ip_rule: RateLimitRule,
) -> None:
    client = Client(raise_request_exception=False)
    assert _ip("::ffff:203.0.113.5") == "203.0.113.5"
    for n in range(1, 6):  # five IPv4 clients behind a dual-stack socket: five buckets, not one /64
        assert client.get(COUNTED, REMOTE_ADDR=f"::ffff:203.0.113.{n}").status_code == 200
    assert client.get(COUNTED, REMOTE_ADDR="203.0.113.1").status_code == 200  # the same client, written as IPv4
    assert client.get(COUNTED, REMOTE_ADDR="::ffff:203.0.113.1").status_code == 429


def test_an_ipv4_mapped_proxy_is_trusted_and_a_mapped_forwarded_client_is_its_ipv4(behind_proxies: None) -> None:
    assert _ip("::ffff:10.0.0.1", "::ffff:198.51.100.7") == "198.51.100.7"


def test_trusted_proxies_written_in_their_ipv4_mapped_form_still_match(settings: Any) -> None:
    settings.CAUSELOOP_ERRORS = {"TRUSTED_PROXIES": ["::ffff:10.0.0.0/104"]}
    assert _ip("::ffff:10.0.0.5", "203.0.113.9") == "203.0.113.9"
    assert _ip("10.0.0.5", "203.0.113.9") == "203.0.113.9"


@pytest.mark.django_db
def test_client_networks_are_matched_against_the_forwarded_client(
    ratelimit_clock: RateLimitClock, rate_limit_rule: Make, behind_proxies: None
) -> None:
    rate_limit_rule("office", "7/m", client_networks="203.0.113.0/24")
    client = Client(raise_request_exception=False, REMOTE_ADDR="10.0.0.1")
    assert client.get(COUNTED, HTTP_X_FORWARDED_FOR="203.0.113.9")["X-RateLimit-Limit"] == "7"
    assert "X-RateLimit-Limit" not in client.get(COUNTED, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")


def test_a_change_of_trusted_proxies_applies_to_an_address_already_seen(settings: Any) -> None:
    """The peer address is parsed once and cached; the cache must not outlive a change of ``TRUSTED_PROXIES``."""
    assert _ip("10.1.2.3", "198.51.100.7") == "10.1.2.3"  # not trusted yet: the header is ignored

    settings.CAUSELOOP_ERRORS = PROXIES

    assert _ip("10.1.2.3", "198.51.100.7") == "198.51.100.7"


def test_an_unusable_peer_address_is_none_every_time() -> None:
    assert _ip("not-an-address") is None
    assert _ip("not-an-address") is None
