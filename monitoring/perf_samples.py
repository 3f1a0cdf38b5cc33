"""Recent latencies per minute, for the staff performance page: a small, bounded store.

Each observation goes into a histogram of fixed buckets for its series (a kind, "http",
"task" or "order", and a name: the route, the task, the order-flow step) and its minute.
The store's size is bounded by construction: series x buckets x minutes kept, whatever the
traffic. Percentiles are estimated from the buckets (interpolated inside the bucket).

With Redis (REDIS_URL) every process adds to one hash per minute (one pipelined round
trip per observation, kept for two hours), so the page sees the web processes and the
workers together; without it, and while Redis is unreachable, each process keeps its own.
"""

import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings

logger = logging.getLogger(__name__)

# Upper bounds of the buckets, in ms; the last bucket holds everything slower.
BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000)
WINDOW_MINUTES = 60
KEEP_SECONDS = 2 * 3600
RETRY_AFTER = 30.0  # seconds to stay on the per-process store after Redis failed
SEP = "\x1f"

_local: dict[int, Counter] = defaultdict(Counter)  # minute -> field -> count (or sum of ms)
_lock = threading.Lock()
_redis_down_until = 0.0
wall_clock = time.time  # seconds since the epoch; tests move it


@dataclass(frozen=True)
class SeriesStats:
    kind: str
    name: str
    count: int
    per_minute: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    minutes: list[int]  # counts per minute, oldest first, WINDOW_MINUTES long


def _minute(at: float | None = None) -> int:
    return int((wall_clock() if at is None else at) // 60)


def _bucket(ms: float) -> int:
    for index, bound in enumerate(BUCKETS_MS):
        if ms <= bound:
            return index
    return len(BUCKETS_MS)


def _key(minute: int) -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:perf:{minute}"


def _redis():
    """The shared Redis connection, or None: no Redis configured, or it failed a moment ago."""
    if not getattr(settings, "REDIS_URL", "") or time.monotonic() < _redis_down_until:
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _redis_failed(exc: Exception) -> None:
    global _redis_down_until
    logger.warning("performance samples: Redis unavailable (%s); keeping them per process for a while", exc)
    _redis_down_until = time.monotonic() + RETRY_AFTER


def record(kind: str, name: str, seconds: float) -> None:
    """One observation; never raises (a request or a task must not fail because of it)."""
    ms = max(0.0, seconds * 1000)
    series = f"{kind}{SEP}{name}{SEP}"
    minute = _minute()
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            key = _key(minute)
            pipe.hincrby(key, series + str(_bucket(ms)), 1)
            pipe.hincrbyfloat(key, series + "sum", round(ms, 3))
            pipe.expire(key, KEEP_SECONDS)
            pipe.execute()
            return
        except Exception as exc:
            _redis_failed(exc)
    _record_local(minute, series, ms)


def _record_local(minute: int, series: str, ms: float) -> None:
    with _lock:
        _local[minute][series + str(_bucket(ms))] += 1
        _local[minute][series + "sum"] += ms
        for old in [m for m in _local if m <= minute - KEEP_SECONDS // 60]:
            del _local[old]


def _read_minutes(minutes: list[int]) -> dict[int, dict[str, float]]:
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            for minute in minutes:
                pipe.hgetall(_key(minute))
            rows = pipe.execute()
            return {m: {k.decode(): float(v) for k, v in row.items()} for m, row in zip(minutes, rows, strict=True)}
        except Exception as exc:
            _redis_failed(exc)
    with _lock:
        return {m: dict(_local.get(m, {})) for m in minutes}


def percentile(buckets: list[int], q: float) -> float:
    """The q-th quantile (0..1) in ms, interpolated inside the bucket where it falls."""
    total = sum(buckets)
    if not total:
        return 0.0
    rank, seen = q * total, 0
    for index, count in enumerate(buckets):
        if count and seen + count >= rank:
            lower = BUCKETS_MS[index - 1] if index else 0
            if index == len(BUCKETS_MS):
                return float(lower)  # slower than the last bound: all we know is "at least"
            return lower + (BUCKETS_MS[index] - lower) * (rank - seen) / count
        seen += count
    return float(BUCKETS_MS[-1])


def _empty(minutes: int) -> dict:
    return {"buckets": [0] * (len(BUCKETS_MS) + 1), "sum": 0.0, "minutes": [0] * minutes}


def _gather(read: dict[int, dict[str, float]], kind: str, minutes: list[int]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    prefix = kind + SEP
    for position, minute in enumerate(minutes):
        for field, value in read[minute].items():
            if not field.startswith(prefix):
                continue
            _, name, slot = field.split(SEP, 2)
            entry = found.setdefault(name, _empty(len(minutes)))
            if slot == "sum":
                entry["sum"] += value
            else:
                entry["buckets"][int(slot)] += int(value)
                entry["minutes"][position] += int(value)
    return found


def _stats(kind: str, name: str, entry: dict, window: int) -> SeriesStats:
    buckets, count = entry["buckets"], sum(entry["buckets"])
    return SeriesStats(
        kind=kind,
        name=name,
        count=count,
        per_minute=count / window,
        p50_ms=percentile(buckets, 0.50),
        p95_ms=percentile(buckets, 0.95),
        p99_ms=percentile(buckets, 0.99),
        mean_ms=entry["sum"] / count,
        minutes=entry["minutes"],
    )


def summary(kind: str, *, window: int = WINDOW_MINUTES, now: float | None = None) -> list[SeriesStats]:
    """Every series of `kind` seen in the last `window` minutes (this one included), busiest first."""
    last = _minute(now)
    minutes = list(range(last - window + 1, last + 1))
    found = _gather(_read_minutes(minutes), kind, minutes)
    stats = [_stats(kind, name, entry, window) for name, entry in found.items() if sum(entry["buckets"])]
    return sorted(stats, key=lambda s: (-s.count, s.name))


def clear() -> None:
    """Forget every sample (tests, and an operator starting a measurement afresh)."""
    with _lock:
        _local.clear()
    client = _redis()
    if client is not None:
        last = _minute()
        client.delete(*[_key(m) for m in range(last - KEEP_SECONDS // 60, last + 1)])
