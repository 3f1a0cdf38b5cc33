"""Recent latencies per minute, for the staff performance page: a small, bounded store.

Each observation goes into a histogram of fixed buckets for its series (a kind, "http",
"task" or "order", and a name: the route, the task, the order-flow step) and its minute.
The store's size is bounded by construction: series x buckets x minutes kept, whatever the
traffic. Percentiles are estimated from the buckets (interpolated inside the bucket).

Each process counts in memory (a dictionary update per observation). With Redis
(REDIS_URL) it adds what it counted to one hash per minute at most every FLUSH_SECONDS
(one pipelined round trip for all of it, and once more at exit), so the page sees the web
processes and the workers together, a few seconds late at most; without Redis, and while it
is unreachable, each process keeps its own.
"""

import atexit
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
FLUSH_SECONDS = 2.0  # how often a process adds what it counted to Redis
SEP = "\x1f"

_local: dict[int, Counter] = defaultdict(Counter)  # minute -> field -> count (or sum of ms)
_pending: dict[int, Counter] = defaultdict(Counter)  # counted here, not yet added to Redis
_lock = threading.Lock()
_redis_down_until = 0.0
_next_flush = 0.0
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
    global _next_flush
    ms = max(0.0, seconds * 1000)
    series = f"{kind}{SEP}{name}{SEP}"
    minute = _minute()
    shared = bool(getattr(settings, "REDIS_URL", ""))
    with _lock:
        store = _pending if shared else _local
        store[minute][series + str(_bucket(ms))] += 1
        store[minute][series + "sum"] += ms
        _forget_old(store, minute)
        due = shared and time.monotonic() >= _next_flush
        if due:
            _next_flush = time.monotonic() + FLUSH_SECONDS
    if due:
        flush()


def _forget_old(store: dict[int, Counter], minute: int) -> None:
    for old in [m for m in store if m <= minute - KEEP_SECONDS // 60]:
        del store[old]


def flush() -> None:
    """Add what this process counted to Redis; kept here (and shown from here) while Redis is unreachable."""
    client = _redis()
    if client is None:
        return
    with _lock:
        batch = {minute: counts for minute, counts in _pending.items() if counts}
        _pending.clear()
    if not batch:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for minute, counts in batch.items():
            key = _key(minute)
            for field, value in counts.items():
                if field.endswith(SEP + "sum"):
                    pipe.hincrbyfloat(key, field, round(value, 3))
                else:
                    pipe.hincrby(key, field, int(value))
            pipe.expire(key, KEEP_SECONDS)
        pipe.execute()
    except Exception as exc:
        _redis_failed(exc)
        with _lock:
            for minute, counts in batch.items():
                _local[minute].update(counts)


atexit.register(flush)


def _read_minutes(minutes: list[int]) -> dict[int, dict[str, float]]:
    """Redis's counts (every process's, as flushed) plus what this process holds itself."""
    flush()
    read: dict[int, Counter] = {m: Counter() for m in minutes}
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            for minute in minutes:
                pipe.hgetall(_key(minute))
            for minute, row in zip(minutes, pipe.execute(), strict=True):
                read[minute].update({k.decode(): float(v) for k, v in row.items()})
        except Exception as exc:
            _redis_failed(exc)
    with _lock:
        for minute in minutes:
            read[minute].update(_local.get(minute, {}))
            read[minute].update(_pending.get(minute, {}))
    return {m: dict(counts) for m, counts in read.items()}


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
        _pending.clear()
    client = _redis()
    if client is not None:
        last = _minute()
        client.delete(*[_key(m) for m in range(last - KEEP_SECONDS // 60, last + 1)])
