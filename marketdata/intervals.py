"""Candle buckets, computed on epoch seconds so the per-tick cost stays tiny.

Buckets follow Indian charting conventions: minutes align to the clock, hours
to the 09:15 IST session open (09:15, 10:15, ...), days to IST midnight.
"""

from datetime import UTC, datetime, timedelta

from core.clock import IST_OFFSET_SECONDS as IST_OFFSET

# interval -> (length in seconds, shift added before taking the remainder)
BUCKETS: dict[str, tuple[int, int]] = {
    "1m": (60, 0),
    "5m": (300, 0),
    "15m": (900, 0),
    "1h": (3600, (IST_OFFSET - 900) % 3600),  # boundaries at xx:15 IST
    "1d": (86400, IST_OFFSET),  # boundaries at 00:00 IST
}
INTERVALS = tuple(BUCKETS)


def bucket_start(epoch: int, interval: str) -> int:
    size, shift = BUCKETS[interval]
    return epoch - (epoch + shift) % size


def interval_seconds(interval: str) -> int:
    return BUCKETS[interval][0]


def interval_delta(interval: str) -> timedelta:
    return timedelta(seconds=BUCKETS[interval][0])


def ist_day_start(epoch: int) -> int:
    return bucket_start(epoch, "1d")


def from_epoch(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
