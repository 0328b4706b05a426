"""Admin-managed rows announced as ``config_changed``, with their values before and after the change.

A feature app calls ``watch(Model)`` in its ``ready()``; the receivers here diff the row around each save,
delete and many-to-many change, so a listener (the audit app) records what changed and who changed it.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from causeloop_errors import signals

logger = logging.getLogger("causeloop_errors")

_IGNORED_FIELDS = {"updated_at"}
_BEFORE = "_causeloop_before"


def snapshot(instance: Model) -> dict[str, Any]:
    """Return the audited field values of ``instance`` (many-to-many as sorted primary keys)."""
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.name not in _IGNORED_FIELDS and not field.primary_key:
            values[field.name] = field.value_from_object(instance)
    for field in instance._meta.many_to_many:
        values[field.name] = sorted(obj.pk for obj in getattr(instance, field.name).all()) if instance.pk else []
    return values


def before_save(sender: type[Model], instance: Model, raw: bool = False, **kwargs: Any) -> None:
    if not raw and instance.pk and signals.config_changed.has_listeners(sender):  # no listener: no query
        stored = sender._default_manager.filter(pk=instance.pk).first()
        setattr(instance, _BEFORE, snapshot(stored) if stored is not None else None)


def after_save(sender: type[Model], instance: Model, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    before = None if created else getattr(instance, _BEFORE, None)
    after = snapshot(instance)
    _announce(sender, instance, "created" if created else "changed", before, after)


def before_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    setattr(instance, _BEFORE, snapshot(instance))  # before Django clears its many-to-many rows


def after_delete(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    _announce(sender, instance, "deleted", getattr(instance, _BEFORE, None) or snapshot(instance), None)


def on_m2m_changed(sender: Any, instance: Model, action: str, **kwargs: Any) -> None:
    if not signals.config_changed.has_listeners(type(instance)):
        return
    if action in ("pre_add", "pre_remove", "pre_clear"):
        setattr(instance, _BEFORE, snapshot(instance))
    elif action in ("post_add", "post_remove", "post_clear"):
        _announce(type(instance), instance, "changed", getattr(instance, _BEFORE, None), snapshot(instance))


def _announce(sender: type[Model], instance: Model, operation: str, before: Any, after: Any) -> None:
    names = sorted(set(before or {}) | set(after or {}))
    changes = {
        name: [None if before is None else before.get(name), None if after is None else after.get(name)]
        for name in names
        if before is None or after is None or before.get(name) != after.get(name)
    }
    if changes or operation != "changed":
        results = signals.config_changed.send_robust(
            sender=sender, instance=instance, operation=operation, changes=changes
        )
        for receiver, outcome in results:  # a listener's failure never undoes the change
            if isinstance(outcome, Exception):
                logger.error("config_changed receiver %r failed", receiver, exc_info=outcome)


def watch(model: type[Model]) -> None:
    """Send ``config_changed`` for every save, delete and many-to-many change of ``model``'s rows."""
    label = model._meta.label
    pre_save.connect(before_save, sender=model, dispatch_uid=f"causeloop_errors.before_save.{label}")
    post_save.connect(after_save, sender=model, dispatch_uid=f"causeloop_errors.saved.{label}")
    pre_delete.connect(before_delete, sender=model, dispatch_uid=f"causeloop_errors.before_delete.{label}")
    post_delete.connect(after_delete, sender=model, dispatch_uid=f"causeloop_errors.deleted.{label}")
    for field in model._meta.many_to_many:
        through = getattr(model, field.name).through
        m2m_changed.connect(on_m2m_changed, sender=through, dispatch_uid=f"causeloop_errors.m2m.{label}.{field.name}")
