"""Count calls on a Django cache and the commands the redis client sends, for the rate-limit rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def counting(alias: str) -> Iterator[dict[str, int]]:
    """Count calls on cache ``alias`` and every command the redis client sends (one command, one round trip:
    the cache backends send no pipelines here; django-redis's ``incr`` is one EVAL)."""
    from django.core.cache import caches

    try:
        import redis
    except ImportError:  # no Redis rows then; locmem is counted by its calls
        redis = None  # type: ignore[assignment]
    counts = {"calls": 0, "trips": 0}
    cache = caches[alias]
    names = ("get", "set", "add", "incr", "decr", "delete", "has_key", "touch", "get_many", "set_many")

    def counted(method: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts["calls"] += 1
            return method(*args, **kwargs)

        return wrapper

    execute = redis.Redis.execute_command if redis is not None else None

    def execute_counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        counts["trips"] += 1
        return execute(self, *args, **kwargs)  # type: ignore[misc]

    for name in names:
        setattr(cache, name, counted(getattr(cache, name)))  # an instance attribute shadows the method
    if redis is not None:
        redis.Redis.execute_command = execute_counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        if redis is not None:
            redis.Redis.execute_command = execute  # type: ignore[method-assign]
        for name in names:
            delattr(cache, name)
