"""A small per-process cache whose entries expire: the one helper for "remember this for a few seconds".

For values read on every request that hardly change (an instrument, a user's
trading account, the latest quote for half a second). Shared state belongs in
Django's cache (Redis); this is for what each process may keep to itself.
Reads and writes are single dict operations, safe under the GIL for the
threads of one process.
"""

import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any

_MISSING = object()


class TimedCache:
    def __init__(self, ttl: float | Callable[[], float], *, max_entries: int = 10_000) -> None:
        """`ttl` in seconds, or a function returning it (read at each put, so settings may change)."""
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def _expiry(self) -> float:
        ttl = self._ttl() if callable(self._ttl) else self._ttl
        return time.monotonic() + ttl

    def get(self, key: Hashable, default: Any = None, *, allow_expired: bool = False) -> Any:
        """The value if it has not expired (or, with allow_expired, whatever is still held)."""
        entry = self._entries.get(key)
        if entry is None or (entry[0] <= time.monotonic() and not allow_expired):
            return default
        return entry[1]

    def put(self, key: Hashable, value: Any) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # cheaper than tracking age order; a refill costs one read each
        self._entries[key] = (self._expiry(), value)

    def get_or_set(self, key: Hashable, load: Callable[[], Any]) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = load()
            self.put(key, value)
        return value

    def split(self, keys: Iterable[Hashable]) -> tuple[dict[Hashable, Any], list[Hashable]]:
        """(the fresh values found, the keys that were not)."""
        now = time.monotonic()
        found, missing = {}, []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                found[key] = entry[1]
            else:
                missing.append(key)
        return found, missing

    def discard(self, key: Hashable) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
