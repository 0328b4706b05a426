"""Cache backends used only by the rate-limit fault tests: one that raises, one that silently keeps nothing."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache


class FaultyCache(BaseCache):
    """Every operation raises, as a client does when the cache server is down."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _down(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = incr = has_key = clear = get_many = set_many = delete_many = _down


class LosingCache(BaseCache):
    """Accepts nothing and stores nothing: ``add`` fails, ``incr`` finds no key, so no count comes back."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def add(self, key: str, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return False

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return default

    def set(self, key: str, value: Any, timeout: Any = None, version: int | None = None) -> None:
        return None

    def touch(self, key: str, timeout: Any = None, version: int | None = None) -> bool:
        return False

    def delete(self, key: str, version: int | None = None) -> bool:
        return False

    def clear(self) -> None:
        return None
