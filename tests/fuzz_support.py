"""Support of ``tests/test_fuzz.py``: the bounded Schemathesis config, the envelope check, the known gaps and
defects a check is lifted for (each named in the run's figures), and the run's tally.

The tally counts what the live server really handled (Django's ``request_started`` signal, so Schemathesis's own
probes count too), which operations were exercised, the statuses answered and the distinct failures found.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

import schemathesis
from django.core.signals import request_started
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.settings import spectacular_settings
from requests.structures import CaseInsensitiveDict

from causeloop_errors.testing import read_error

SEED = 20260601  # fixed: CI replays the same requests run after run
# Generated requests per operation and caller (the coverage phase adds its own boundary cases); raise it locally
# for a deeper run, e.g. `FUZZ_MAX_EXAMPLES=500 make fuzz`.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))
PASSWORD = "demo-password"  # seed_demo's


def document() -> dict[str, Any]:
    """Return the example project's OpenAPI document as ``/api/schema`` builds it (no request, no database)."""
    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS()
    schema = generator.get_schema(request=None, public=True)
    rendered: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(schema))  # as a client receives it
    return rendered


def bounded_config() -> schemathesis.Config:
    """Return a reproducible, bounded Schemathesis config: fixed seed, derandomized, no example database.

    ``negative_data_rejection`` is off: DRF's ``CharField`` accepts a number and stores its text (``{"title": 0}``
    files an issue titled "0"), so out-of-schema requests are not all refused. What they are answered with is
    still checked like every other answer.
    """
    data: dict[str, Any] = {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"negative_data_rejection": {"enabled": False}},
    }
    return schemathesis.Config.from_dict(data)


def _has_blank_after_trim(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value) and not value.strip()
    if isinstance(value, dict):
        return any(_has_blank_after_trim(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_blank_after_trim(item) for item in value)
    return False


def known_gap(case: schemathesis.Case) -> str | None:
    """Return why a schema-valid ``case`` may be refused today, or None when it must be accepted."""
    if _has_blank_after_trim(case.body) or _has_blank_after_trim(dict(case.query or {})):
        # DRF strips a CharField's value before the blank check; no JSON Schema pattern matches Python's whitespace.
        return "a string of whitespace only is blank once DRF trims it"
    if case.operation.label == "POST /api/connectors" and _has_unstorable_text(case.body):
        # Free-form config is refused with a 400 when no database can store it (PostgreSQL's jsonb refuses NUL and
        # lone surrogates); a JSON Schema pattern cannot name lone surrogates, so the document does not say it.
        return "a NUL character or a lone surrogate in a connector's free-form config cannot be stored"
    return None


def _has_unstorable_text(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_has_unstorable_text(key) or _has_unstorable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_unstorable_text(item) for item in value)
    return False


def mint_token(base_url: str, username: str, workspace: str) -> str:
    """Return a bearer token from ``POST /auth/token`` over HTTP, with the password alone."""
    grant = {"username": username, "password": PASSWORD, "workspace": workspace}
    request = urllib.request.Request(
        f"{base_url}/auth/token", data=json.dumps(grant).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        token: str = json.loads(response.read())["access_token"]
    return token


class _Answer:
    """A Schemathesis response as ``causeloop_errors.testing`` reads responses: status, headers, content."""

    def __init__(self, response: schemathesis.Response) -> None:
        self.status_code = response.status_code
        self.headers = CaseInsensitiveDict({name: ", ".join(values) for name, values in response.headers.items()})
        self.content = response.content


def failures_are_envelopes(ctx: Any, response: schemathesis.Response, case: Any) -> None:
    """Fail unless a response of status 400 or more is the envelope whose trace_id is its ``X-Request-Id``."""
    if response.status_code >= 400:
        read_error(_Answer(response))


@dataclass
class Tally:
    """What the fuzz run did, summed over its tests."""

    requests: int = 0
    seconds: float = 0.0
    operations: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    excused: Counter[str] = field(default_factory=Counter)
    failures: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _count(self, **kwargs: Any) -> None:
        with self._lock:  # the live server answers in its own threads
            self.requests += 1

    @contextmanager
    def counting(self) -> Iterator[None]:
        """Count every request the live server starts while the block runs, and the block's time."""
        started = monotonic()
        request_started.connect(self._count, dispatch_uid="fuzz-tally")
        try:
            yield
        finally:
            request_started.disconnect(dispatch_uid="fuzz-tally")
            self.seconds += monotonic() - started

    def answered(self, case: schemathesis.Case, response: schemathesis.Response, excuses: list[str]) -> None:
        """Record the operation exercised, the status it answered and why a check was lifted for it, if one was."""
        self.operations.add(case.operation.label)
        self.statuses[response.status_code] += 1
        self.excused.update(excuses)
        if response.status_code >= 500:
            self.server_errors[f"{case.operation.label} ({'; '.join(excuses) or 'unexpected'})"] += 1

    def failed(self, operation: str, titles: list[str]) -> None:
        """Record distinct failures (shrinking replays one failure many times)."""
        self.failures.update(f"{operation}: {title}" for title in titles)

    def summary(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        lines = [
            f"fuzz: {self.requests} requests (Schemathesis's auth probes included) in {self.seconds:.1f} s, "
            f"{len(self.operations)} operations covered, {len(self.failures)} failures found",
            f"fuzz: statuses of the {self.statuses.total()} generated requests: {statuses}",
            *(f"fuzz: 5xx {count}x {where}" for where, count in sorted(self.server_errors.items())),
            *(f"fuzz: {count} requests exempt from one check: {why}" for why, count in sorted(self.excused.items())),
            *(f"fuzz: failure {failure}" for failure in sorted(self.failures)),
        ]
        return "\n".join(lines)
