"""Sliding-window rate limits per account, shared by every process through Redis.

A request asks for a slot in each of its windows (e.g. 9 a second, 500 a
minute, 1000 an hour); it gets one only when every window has room, and then
counts in all of them at once. One Lua script does check-and-take atomically
on Redis's own clock, so two workers on two machines can never both take the
last slot. Without Redis (the embedded default: one worker process) the same
algorithm runs in memory.
"""

import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

from django.conf import settings

from .. import metrics as broker_metrics
from ._redis import redis_client

UNITS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    seconds: int

    @property
    def window_ms(self) -> int:
        return int((self.seconds + settings.BROKER_RATE_LIMIT_MARGIN_SECONDS) * 1000)


def parse_rates(text: str) -> tuple[Rate, ...]:
    """'9/s,500/m,1000/h' -> (Rate(9, 1), Rate(500, 60), Rate(1000, 3600))."""
    rates = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*/\s*([smh])\s*", part)
        if not match or int(match.group(1)) < 1:
            raise ValueError(f"bad rate {part!r}: expected N/s, N/m or N/h")
        rates.append(Rate(int(match.group(1)), UNITS[match.group(2)]))
    return tuple(rates)


class RateLimitExceeded(Exception):
    """No slot within the allowed wait: the request was not sent."""

    retryable = True

    def __init__(self, key: str, wait: float) -> None:
        super().__init__(f"rate limit reached for {key}; next slot in {wait:.2f} s")
        self.key = key
        self.wait = wait


_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local freeing = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(freeing[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 1]))
end
return -1
"""


class RedisWindows:
    def __init__(self, client) -> None:
        self.script = client.register_script(_TAKE)

    def take(self, key: str, rates: tuple[Rate, ...]) -> float:
        """Take a slot in every window (0.0), or say how many seconds until one frees up."""
        keys = [f"brokers:rl:{key}:{r.seconds}" for r in rates]
        args: list = [uuid.uuid4().hex]
        for rate in rates:
            args += [rate.limit, rate.window_ms]
        # -1: taken; otherwise whole milliseconds to wait (a Lua number reaches us as an integer,
        # so a fraction of a millisecond must not round down to a "0" that looks like success).
        waited = int(self.script(keys=keys, args=args))
        return 0.0 if waited < 0 else waited / 1000


class MemoryWindows:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, deque[float]] = {}

    def take(self, key: str, rates: tuple[Rate, ...]) -> float:
        now = time.monotonic()
        with self.lock:
            wait = 0.0
            queues = []
            for rate in rates:
                window = rate.window_ms / 1000
                queue = self.windows.setdefault(f"{key}:{rate.seconds}", deque())
                while queue and queue[0] <= now - window:
                    queue.popleft()
                if len(queue) >= rate.limit:
                    wait = max(wait, queue[len(queue) - rate.limit] + window - now)
                queues.append(queue)
            if wait > 0:
                return wait
            for queue in queues:
                queue.append(now)
            return 0.0


class Limiter:
    def __init__(self) -> None:
        self._backend = None
        self._url = None

    @property
    def backend(self):
        if self._backend is None or self._url != settings.REDIS_URL:
            client = redis_client()
            self._backend = RedisWindows(client) if client is not None else MemoryWindows()
            self._url = settings.REDIS_URL
        return self._backend

    def acquire(self, key: str, rates: tuple[Rate, ...], *, max_wait: float | None = None) -> None:
        """Block until a slot is ours (at most `max_wait` seconds), else raise RateLimitExceeded."""
        budget = settings.BROKER_RATE_LIMIT_MAX_WAIT_SECONDS if max_wait is None else max_wait
        deadline = time.monotonic() + budget
        while True:
            wait = self.backend.take(key, rates)
            if wait <= 0:
                return
            if time.monotonic() + wait > deadline:
                broker_metrics.rate_limit_refused(key)
                raise RateLimitExceeded(key, wait)
            time.sleep(wait + 0.001)
            broker_metrics.rate_limit_waited(key, wait + 0.001)

    def reset(self) -> None:
        """Forget in-memory windows (tests)."""
        self._backend = None


limiter = Limiter()
