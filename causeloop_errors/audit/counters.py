"""The shared cache's count of each audit event's repeats: added to atomically, taken out exactly once.

Every process adds its repeats to one counter per event (``incr``, atomic on Redis and the local-memory cache);
whoever writes them to the database takes them out with a decrement. Two takers may read the same count: the
decrement says how much was really there, and each takes only that, so no repeat is written twice.
"""

from __future__ import annotations

from typing import Any

COUNTER_PREFIX = "causeloop:audit:repeats:"
LOCK_PREFIX = "causeloop:audit:flushing:"
COUNTER_TIMEOUT = 3600  # seconds after its last addition that a counter nobody took is dropped


def counter_key(digest: str) -> str:
    return COUNTER_PREFIX + digest


def add_to_counter(shared: Any, digest: str, n: int) -> None:
    """Add ``n`` to the event's counter in ``shared``, creating it if missing, and keep it for another hour."""
    key = counter_key(digest)
    try:
        shared.incr(key, n)
    except ValueError:  # no such key: create it, unless another process just did
        if shared.add(key, n, timeout=COUNTER_TIMEOUT):
            return
        shared.incr(key, n)
    shared.touch(key, COUNTER_TIMEOUT)  # incr keeps a key's first expiry: a busy counter would die mid-flood


def take(shared: Any, digest: str, seen: int) -> int:
    """Take up to ``seen`` (a count just read) out of the event's counter; return how much was really there.

    The counter may have been taken meanwhile, even below 0 by a taker about to put back its excess: exactly the
    part of this subtraction that the counter did not hold is put back.
    """
    if seen <= 0:
        return 0
    try:
        left = int(shared.decr(counter_key(digest), seen))
    except ValueError:  # the counter expired since it was read: nothing to take
        return 0
    mine = max(0, min(seen, seen + left))
    if mine < seen:
        shared.incr(counter_key(digest), seen - mine)
    return mine


def take_counts(shared: Any, digests: list[str]) -> dict[str, int]:
    """Take every count of ``digests`` out of ``shared`` (one read for all, then a decrement each)."""
    found = shared.get_many([counter_key(digest) for digest in digests]) if digests else {}
    taken = {}
    for digest in digests:
        mine = take(shared, digest, int(found.get(counter_key(digest)) or 0))
        if mine:
            taken[digest] = mine
    return taken
