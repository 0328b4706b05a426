"""Which workspace a request targets, and whether a workspace key is well formed and known."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from causeloop_errors.conf import app_settings, imported
from causeloop_errors.exceptions import NotFound, ValidationError

WORKSPACE_HEADER = "X-Workspace"
WORKSPACE_META = "HTTP_X_WORKSPACE"
MALFORMED = "Not a well-formed workspace key."
_KNOWN_LIMIT = 10_000
_known: set[str] = set()


def resolve_workspace(request: Any) -> str | None:
    """Return the key a request targets: a ``workspace`` URL kwarg, the ``X-Workspace`` header, the token's workspace.

    A token names its workspace through a ``workspace_key`` attribute of ``request.auth``.
    """
    match = getattr(request, "resolver_match", None)
    if match is not None and match.kwargs.get("workspace") is not None:
        return str(match.kwargs["workspace"])
    header = request.META.get(WORKSPACE_META)  # not request.headers: building that mapping costs more than the rest
    if header is not None:
        return str(header)
    return token_workspace(request)


def token_workspace(request: Any) -> str | None:
    """Return the workspace the request's token is bound to (``request.auth.workspace_key``), or None."""
    key = getattr(getattr(request, "auth", None), "workspace_key", None)
    return None if key is None else str(key)


def reset_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    """Forget the known workspaces when ``CAUSELOOP_ERRORS`` changes (a ``setting_changed`` receiver)."""
    if setting == "CAUSELOOP_ERRORS":
        _known.clear()


def workspace_model() -> type[models.Model] | None:
    """Return the host's workspace model named by ``WORKSPACE_MODEL``, or None."""
    label = app_settings.WORKSPACE_MODEL
    return apps.get_model(label) if label else None


def _exists(key: str) -> bool:
    model = workspace_model()
    if model is None or key in _known:
        return True
    found = model._default_manager.filter(**{app_settings.WORKSPACE_KEY_FIELD: key}).exists()
    if found and len(_known) < _KNOWN_LIMIT:
        _known.add(key)
    return found


def key_problem(key: str) -> str | None:
    """Return why ``key`` cannot name a workspace (malformed, or unknown to ``WORKSPACE_MODEL``), or None."""
    if not app_settings.WORKSPACE_KEY_PATTERN.fullmatch(key):
        return MALFORMED
    if not _exists(key):
        return f"No workspace has the key {key!r}."
    return None


def choices() -> list[tuple[str, str]]:
    """Return ``(key, label)`` for every workspace of ``WORKSPACE_MODEL`` (empty when it is not set)."""
    model = workspace_model()
    if model is None:
        return []
    field = app_settings.WORKSPACE_KEY_FIELD
    return [(str(getattr(obj, field)), str(obj)) for obj in model._default_manager.order_by(field)]


def workspace_of(request: Any) -> str | None:
    """Return the validated key the request targets, or None.

    Raises 400 ``validation_error`` for a malformed key and 404 ``not_found`` for an unknown one.
    """
    key = imported(app_settings.WORKSPACE_RESOLVER)(request)
    if key is None:
        return None
    if not app_settings.WORKSPACE_KEY_PATTERN.fullmatch(key):
        raise ValidationError(details={"workspace": MALFORMED})
    if not _exists(key):
        raise NotFound(f"Workspace {key} not found", details={"workspace": key})
    return str(key)


def workspace_or_none(request: Any) -> str | None:
    """Return the key the configured resolver gives, or None; never raises (for rules and audit events)."""
    try:
        key = imported(app_settings.WORKSPACE_RESOLVER)(request)
    except Exception:
        return None
    return None if key is None else str(key)[:100]
