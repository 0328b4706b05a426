"""A local-memory cache the version stamps treat as shared, so tests can watch the stamp go through a cache."""

from django.core.cache.backends.locmem import LocMemCache


class SharedLocMemCache(LocMemCache):
    """Behaves as LocMemCache; not the exact class, so VersionStamp reads and writes it like Redis."""
