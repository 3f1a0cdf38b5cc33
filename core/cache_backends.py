"""A cache that falls back to a per-process one while the shared cache (Redis) is unreachable.

Rate limits count in it: with Redis up, every process shares one count; with
Redis down, each process keeps counting on its own (a limit per process is
looser, never absent). A Redis outage must neither lock traders out nor let
unlimited attempts through.
"""

import logging

from django.core.cache import caches
from django.core.cache.backends.base import BaseCache

logger = logging.getLogger(__name__)


class FailoverCache(BaseCache):
    def __init__(self, location, params) -> None:
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self._primary = options.get("PRIMARY", "default")
        self._fallback = options.get("FALLBACK", "local")
        self._failing = False

    def _call(self, method: str, *args, **kwargs):
        try:
            result = getattr(caches[self._primary], method)(*args, **kwargs)
        except Exception as exc:
            if not self._failing:
                logger.warning("shared cache unavailable (%s); counting rate limits per process until it is back", exc)
                self._failing = True
            return getattr(caches[self._fallback], method)(*args, **kwargs)
        if self._failing:
            logger.info("shared cache is back; rate limits are shared again")
            self._failing = False
        return result

    # Keys pass through as they are: the primary and fallback caches apply their own prefixes.
    def add(self, key, value, timeout=300, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=300, version=None):
        return self._call("set", key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def touch(self, key, timeout=300, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def clear(self):
        return self._call("clear")
