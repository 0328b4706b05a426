"""Which requests are API requests: under one of ``API_PATH_PREFIXES``, whatever the case or repeated slashes."""

from __future__ import annotations

import re

from django.http import HttpRequest

from causeloop_errors.conf import app_settings

_SLASHES = re.compile(r"/{2,}")


def is_api_path_info(path: str) -> bool:
    """Return whether ``path`` is under one of the configured API path prefixes (``/api`` counts as ``/api/``).

    A path that differs from a prefix only by case or repeated slashes (``/API/issues``, ``//api/nope``) is one too:
    it reaches no API view, but its 404 is the API's.
    """
    prefixes = app_settings.API_PATH_PREFIXES
    if path.startswith(prefixes) or f"{path}/".startswith(prefixes):
        return True
    folded = _SLASHES.sub("/", path).lower()
    return folded != path and (folded.startswith(prefixes) or f"{folded}/".startswith(prefixes))


def is_api_path(request: HttpRequest) -> bool:
    """Return whether ``request`` targets one of the configured API path prefixes."""
    return is_api_path_info(request.path_info)


_SLASHES = re.compile(r"/{2,}")
