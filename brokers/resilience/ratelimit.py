"""Sliding-window rate limits per account, shared by every process through Redis.

A request asks for a slot in each of its windows (e.g. 9 a second, 500 a
minute, 1000 an hour); it gets one only when every window has room, and then
counts in all of them at once. One Lua script does check-and-take atomically
on Redis's own clock, so two workers on two machines can never both take the
last slot. Without Redis (the embedded default: one worker process) the same
algorithm runs in memory.

The broker counts a request when it arrives, which is some time after we took
its slot (a process descheduled, a slow connect). So a slot is counted as in
flight (scored in the future, `hold` seconds on) until its request has come
back, and from then on it is scored at that moment. Any request the broker saw
in one of its windows was therefore either in flight or came back within the
window when a later one took its slot: the broker never sees one too many, how
ever late the request goes out.
"""

import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings

from .. import metrics as broker_metrics
from ._redis import redis_client

log = logging.getLogger(__name__)

UNITS = {"s": 1, "m": 60, "h": 3600}
POLL_MS = 10  # a full window whose next slot is still in flight: look again this soon


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
local hold = tonumber(ARGV[2])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i + 1])
  local window = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local freeing = tonumber(redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')[2])
    local w = freeing + window - now
    if freeing > now then w = POLL end
    if w > wait then wait = w end
  end
end
if wait > 0 then return math.max(1, math.ceil(wait)) end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + hold, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 2]) + hold)
end
return -1
""".replace("POLL", str(POLL_MS))

_DONE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now, ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[i + 1]), 'GT')
end
return 0
"""


class RedisWindows:
    def __init__(self, client) -> None:
        self.take_script = client.register_script(_TAKE)
        self.done_script = client.register_script(_DONE)

    @staticmethod
    def _keys(key: str, rates: tuple[Rate, ...]) -> list[str]:
        return [f"brokers:rl:{key}:{r.seconds}" for r in rates]

    def take(self, key: str, rates: tuple[Rate, ...], slot: str, hold: float = 0.0) -> float:
        """Take a slot in every window (0.0), or say how many seconds until one may free up."""
        args: list = [slot, int(hold * 1000)]
        for rate in rates:
            args += [rate.limit, rate.window_ms]
        # -1: taken; otherwise whole milliseconds to wait (a Lua number reaches us as an integer,
        # so a fraction of a millisecond must not round down to a "0" that looks like success).
        waited = int(self.take_script(keys=self._keys(key, rates), args=args))
        return 0.0 if waited < 0 else waited / 1000

    def done(self, key: str, rates: tuple[Rate, ...], slot: str) -> None:
        self.done_script(keys=self._keys(key, rates), args=[slot, *(rate.window_ms for rate in rates)])


class MemoryWindows:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.windows: dict[str, dict[str, float]] = {}  # window key -> slot -> score

    def take(self, key: str, rates: tuple[Rate, ...], slot: str, hold: float = 0.0) -> float:
        now = time.monotonic()
        with self.lock:
            wait = 0.0
            windows = []
            for rate in rates:
                span = rate.window_ms / 1000
                window = self.windows.setdefault(f"{key}:{rate.seconds}", {})
                for old in [s for s, score in window.items() if score <= now - span]:
                    del window[old]
                if len(window) >= rate.limit:
                    freeing = sorted(window.values())[len(window) - rate.limit]
                    wait = max(wait, POLL_MS / 1000 if freeing > now else freeing + span - now)
                windows.append(window)
            if wait > 0:
                return wait
            for window in windows:
                window[slot] = now + hold
            return 0.0

    def done(self, key: str, rates: tuple[Rate, ...], slot: str) -> None:
        now = time.monotonic()
        with self.lock:
            for rate in rates:
                window = self.windows.get(f"{key}:{rate.seconds}", {})
                if slot in window:
                    window[slot] = now


class Limiter:
    def __init__(self, backend=None) -> None:
        self._fixed = backend
        self._backend = None
        self._url = None

    @property
    def backend(self):
        if self._fixed is not None:
            return self._fixed
        if self._backend is None or self._url != settings.REDIS_URL:
            client = redis_client()
            self._backend = RedisWindows(client) if client is not None else MemoryWindows()
            self._url = settings.REDIS_URL
        return self._backend

    def acquire(self, key: str, rates: tuple[Rate, ...], *, max_wait: float | None = None, hold: float = 0.0) -> str:
        """Block until a slot is ours (at most `max_wait` seconds), else raise RateLimitExceeded.

        The slot counts as in flight for `hold` seconds (until `done`): returns its id.
        """
        budget = settings.BROKER_RATE_LIMIT_MAX_WAIT_SECONDS if max_wait is None else max_wait
        deadline = time.monotonic() + budget
        slot = uuid.uuid4().hex
        while True:
            wait = self.backend.take(key, rates, slot, hold)
            if wait <= 0:
                return slot
            if time.monotonic() + wait > deadline:
                broker_metrics.rate_limit_refused(key)
                raise RateLimitExceeded(key, wait)
            time.sleep(wait + 0.001)
            broker_metrics.rate_limit_waited(key, wait + 0.001)

    def done(self, key: str, rates: tuple[Rate, ...], slot: str) -> None:
        """The request of `slot` has come back: it counts from now, no longer as in flight.

        Best effort: if Redis is gone the slot stays in flight until its hold runs out.
        """
        try:
            self.backend.done(key, rates, slot)
        except redis.RedisError as exc:
            log.warning("rate limit slot %s for %s stays in flight until its hold ends: %s", slot, key, exc)

    def reset(self) -> None:
        """Forget in-memory windows (tests)."""
        self._backend = None


limiter = Limiter()
