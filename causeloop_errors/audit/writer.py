"""The one writer of audit events, and the queue that lets a failed request's events outlive its rollback.

Events about a request are queued on it (``defer``) and written by the middleware once the view has
returned (``flush``), outside the transaction ``ATOMIC_REQUESTS`` and DRF's ``set_rollback()`` undo.
Events about a change are written at once (``record``), inside the change's own transaction. Repeated
identical events share one row whose ``occurrences`` grows: the first occurrence is inserted at once, repeats
are counted without I/O and written in bulk (``audit_repeats``). Writing never raises: a failure is logged
with the trace id and the client's response is untouched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, router, transaction

from causeloop_errors import faults, trace
from causeloop_errors.audit.repeats import repeats
from causeloop_errors.clientip import client_ip

logger = logging.getLogger("causeloop_errors")

MAX_DETAILS_BYTES = 4096
USER_AGENT_LENGTH = 256
_PENDING = "_causeloop_audit_pending"
# Keys whose values are never recorded, at any depth of details.
_SECRET = re.compile(
    r"passw|secret|otp|(token|api_?key|authori[sz]ation|cookie|sessionid|credentials?|signature|private_?key)$", re.I
)


def scrub(value: Any) -> Any:
    """Return ``value`` without the values of secret-looking keys."""
    if isinstance(value, dict):
        return {key: "[redacted]" if _SECRET.search(str(key)) else scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def _size(value: Any) -> int:
    return len(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).encode())


def _capped(details: dict[str, Any] | None) -> dict[str, Any]:
    """Return details that fit ``MAX_DETAILS_BYTES`` once stored: else a preview cut until the whole fits."""
    clean = scrub(details or {})
    if _size(clean) <= MAX_DETAILS_BYTES:
        return clean
    text = json.dumps(clean, cls=DjangoJSONEncoder, ensure_ascii=False)
    keep = MAX_DETAILS_BYTES
    capped = {"truncated": True, "preview": text[:keep]}
    while _size(capped) > MAX_DETAILS_BYTES:  # JSON escaping can double a character's size
        keep = keep * 3 // 4
        capped = {"truncated": True, "preview": text[:keep]}
    return capped


def client_ip_of(request: Any) -> str:
    """Return the client IP of ``request`` as the audit trail records it ("-" when unknown)."""
    return client_ip(getattr(request, "_request", request)) or "-"


def _from_request(request: Any) -> dict[str, Any]:
    if request is None:
        return {}
    django_request = getattr(request, "_request", request)
    return {
        "client_ip": client_ip(django_request),
        "user_agent": django_request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
        "method": (django_request.method or "")[:10],  # a client can send any token as its method
        "path": django_request.path[:512],  # the path alone: query strings can carry secrets
    }


def _actor(actor: Any, request: Any) -> dict[str, Any]:
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {}
    return {"actor": actor, "actor_username": actor.get_username()[:150]}


def record(
    action: str,
    *,
    request: Any = None,
    code: str = "",
    status: int | None = None,
    actor: Any = None,
    workspace_key: str | None = "",
    details: dict[str, Any] | None = None,
    dedup: str | None = None,
) -> None:
    """Write one audit event, or count one more occurrence of the event ``dedup`` names. Never raises.

    ``workspace_key`` None: the workspace the request targets, resolved only when the row is written.

    A repeat of an event whose row this process knows is counted in memory (``audit_repeats``): no query.
    """
    try:
        trace_id = _trace_id()
        digest = None if dedup is None else _digest(dedup)
        if digest is not None and repeats.known(digest):
            repeats.count(digest, trace_id)
            return
        fields = {
            "action": action[:64],
            "code": code[:64],
            "status": status,
            "workspace_key": (_workspace(request) if workspace_key is None else workspace_key)[:100],
            "details": _capped(clean(details)),
            **_from_request(request),
            **_actor(actor, request),
        }
        _insert(clean(fields), trace_id, digest)
    except DatabaseError as exc:  # down, locked or not migrated: said once a minute, not once per refused request
        faults.warn(f"database:audit:{type(exc).__name__}", "Could not write the audit event %s: %s", action, exc)
    except Exception:
        logger.exception("Could not write the audit event %s", action)


def _insert(fields: dict[str, Any], trace_id: str, digest: str | None) -> None:
    """Insert the event's row; for a merged event whose row another process inserted first, count a repeat."""
    from causeloop_errors.audit.models import AuditEvent

    alias = router.db_for_write(AuditEvent)
    try:
        with transaction.atomic(using=alias):  # a failed write never spoils the caller's transaction
            AuditEvent.objects.create(trace_id=trace_id, last_trace_id=trace_id, dedup_key=digest, **fields)
    except IntegrityError:
        if digest is None or not AuditEvent.objects.filter(dedup_key=digest).exists():
            raise  # not the race for a merged event's row: some other constraint failed
        repeats.mark_known(digest)
        repeats.count(digest, trace_id)
        return
    if digest is not None:  # known once committed: a row rolled back with its caller's transaction is not there
        transaction.on_commit(lambda: repeats.mark_known(digest), using=alias)


def clean(value: Any) -> Any:
    """Return ``value`` with every string storable: NUL and lone surrogates replaced (no database keeps them)."""
    if isinstance(value, str):
        if "\x00" in value or not value.isascii():
            value = value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
        return value
    if isinstance(value, dict):
        return {clean(key): clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(item) for item in value]
    return value


def _workspace(request: Any) -> str:
    from causeloop_errors.workspaces import workspace_or_none

    return (workspace_or_none(request) if request is not None else None) or ""


def _trace_id() -> str:
    return trace.get_trace_id() or "-"


def _digest(dedup: str) -> str:
    return hashlib.sha256(dedup.encode()).hexdigest()


def defer(request: Any, **event: Any) -> None:
    """Queue an event about ``request``; the middleware writes it after the view has returned."""
    holder = getattr(request, "_request", request)
    user = getattr(request, "user", None)
    if "actor" not in event and user is not None and user.is_authenticated:
        event["actor"] = user
    pending = getattr(holder, _PENDING, None)
    if pending is None:
        pending = []
        setattr(holder, _PENDING, pending)
    pending.append(event)


def has_pending(request: Any) -> bool:
    """Return whether events are queued on ``request``."""
    return bool(getattr(getattr(request, "_request", request), _PENDING, None))


def pending_codes(request: Any) -> set[str]:
    """Return the error codes already queued for ``request`` (so a generic event does not repeat them)."""
    return {event.get("code", "") for event in getattr(getattr(request, "_request", request), _PENDING, ())}


def flush(request: Any) -> None:
    """Write the events queued on ``request``. Called by the middleware; costs nothing when none are queued."""
    holder = getattr(request, "_request", request)
    pending = getattr(holder, _PENDING, None)
    if not pending:
        return
    setattr(holder, _PENDING, [])
    for event in pending:
        record(request=holder, **event)
