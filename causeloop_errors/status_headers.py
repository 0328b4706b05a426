"""The headers a status must carry whoever produced it: ``WWW-Authenticate`` on 401, ``Retry-After`` on 429 and 503."""

from __future__ import annotations

import math
from collections.abc import Mapping

from causeloop_errors.envelope import Failure


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def add_status_headers(failure: Failure, given: Mapping[str, str], wait: float | None, authenticate: str) -> Failure:
    """Give every 401 its ``WWW-Authenticate`` and every 429 its ``Retry-After``, whoever produced it.

    A 503 keeps a ``Retry-After`` it stated as whole seconds (at least 1); any other form of it is dropped.
    """
    if failure.status == 401:
        failure.headers["WWW-Authenticate"] = _header(given, "www-authenticate") or authenticate
    stated = _header(given, "retry-after") or ""
    seconds = int(stated) if stated.isascii() and stated.isdigit() else None
    if failure.status == 429:
        failure.set_retry_after(wait if wait is not None else seconds)
    elif failure.status == 503 and "Retry-After" not in failure.headers and (wait is not None or seconds is not None):
        failure.headers["Retry-After"] = str(max(1, math.ceil(wait if wait is not None else seconds or 0)))
    return failure
