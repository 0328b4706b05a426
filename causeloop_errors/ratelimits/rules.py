"""Rate-limit rules as read from the admin: immutable snapshots, and which of them cover a request."""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django_ratelimit.core import _split_rate

logger = logging.getLogger("causeloop_errors")


class Target(NamedTuple):
    """What a rule can match on, for one request at one stage (middleware or DRF throttle).

    A named tuple, not a dataclass: one is built per request and stage, and building a tuple is cheaper.
    """

    method: str
    path: str
    view_names: frozenset[str] = frozenset()
    scope: str | None = None
    ip: str | None = None
    workspace: str | None = None


@dataclass(frozen=True)
class Rule:
    """One rate-limit rule, ready to match without touching the database."""

    name: str
    rate: str
    key: str = "ip"
    methods: frozenset[str] = frozenset()
    path_prefix: str = ""
    path_regex: re.Pattern[str] | None = None
    view_names: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    workspace_key: str = ""
    observe: bool = False
    fail_closed: bool = False
    overrides: str | None = None
    expires_at: datetime | None = None
    limit: int = field(init=False)
    window: int = field(init=False)

    def __post_init__(self) -> None:
        limit, window = _split_rate(self.rate)  # django-ratelimit's own parser, so both read a rate alike
        object.__setattr__(self, "limit", int(limit))
        object.__setattr__(self, "window", int(window))

    @classmethod
    def from_model(cls, model: Any) -> Rule:
        from causeloop_errors.ratelimits.models import split_list

        return cls(
            name=model.name,
            rate=model.rate,
            key=model.key,
            methods=frozenset(method.upper() for method in split_list(model.methods)),
            path_prefix=model.path_prefix,
            path_regex=re.compile(model.path_regex) if model.path_regex else None,
            view_names=frozenset(split_list(model.view_names)),
            scopes=frozenset(split_list(model.throttle_scopes)),
            networks=tuple(ipaddress.ip_network(n, strict=False) for n in split_list(model.client_networks)),
            workspace_key=model.workspace_key,
            observe=model.mode == "observe",
            fail_closed=model.fail_closed,
            overrides=model.overrides.name if model.overrides is not None else None,
            expires_at=model.expires_at,
        )

    def covers(self, target: Target, now: datetime | None) -> bool:
        """Return whether the rule applies to ``target`` at ``now``; every selector that is set must match.

        ``now`` may be None only when no rule has an expiry (the caller skips reading the clock then).
        """
        if self.expires_at is not None and (now is None or now >= self.expires_at):
            return False
        if self.methods and target.method not in self.methods:
            return False
        if self.path_prefix and not target.path.startswith(self.path_prefix):
            return False
        if self.path_regex is not None and not self.path_regex.search(target.path):
            return False
        if (self.view_names or self.scopes) and not (
            self.view_names & target.view_names or (target.scope is not None and target.scope in self.scopes)
        ):
            return False
        if self.networks and not _in_networks(target.ip, self.networks):
            return False
        return not self.workspace_key or self.workspace_key == target.workspace


def _in_networks(ip: str | None, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]) -> bool:
    if ip is None:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in network for network in networks)


def select(rules: tuple[Rule, ...], target: Target, now: datetime | None) -> list[Rule]:
    """Return the rules covering ``target``, without those overridden by another covering rule."""
    covering = [rule for rule in rules if rule.covers(target, now)]
    overridden = {rule.overrides for rule in covering if rule.overrides and not rule.observe}  # trying, not replacing
    return [rule for rule in covering if rule.name not in overridden]
