"""Candles from the database as the backtester's arrays, with a small per-process cache.

A sweep runs many combinations on the same bars: each worker process loads
them once (keyed by instruments, interval and period) and reuses them for
every combination it is given.
"""

import threading
from datetime import datetime

import numpy as np
from django.db.models import FloatField
from django.db.models.functions import Cast

from core.cache import TimedCache
from marketdata.models import Candle, Instrument

from .engine.data import Series, segment_of

CACHE_SIZE = 4
CACHE_SECONDS = 600
_series = TimedCache(ttl=CACHE_SECONDS, max_entries=CACHE_SIZE)
_lock = threading.Lock()  # guards the counters
stats = {"loads": 0, "hits": 0}


def series_for(instrument: Instrument, interval: str, start: datetime, end: datetime) -> Series:
    # The database turns the decimals into floats (numeric -> double: correctly rounded, so
    # engine.data.exact() recovers every stored price exactly).
    rows = list(
        Candle.objects.filter(instrument=instrument, interval=interval, start__gte=start, start__lt=end)
        .order_by("start")
        .values_list(
            "start",
            Cast("open", FloatField()),
            Cast("high", FloatField()),
            Cast("low", FloatField()),
            Cast("close", FloatField()),
            "volume",
        )
    )
    times = np.fromiter((int(row[0].timestamp()) for row in rows), dtype=np.int64, count=len(rows))
    columns = np.array([row[1:] for row in rows], dtype=np.float64).reshape(len(rows), 5)
    return Series(
        instrument.key,
        times,
        columns[:, 0],
        columns[:, 1],
        columns[:, 2],
        columns[:, 3],
        columns[:, 4],
        instrument.lot_size,
        instrument.tick_size,
        segment_of(instrument.instrument_type),
    )


def series_load(instruments: list[Instrument], interval: str, start: datetime, end: datetime) -> list[Series]:
    key = (tuple(i.id for i in instruments), interval, start, end)
    found = _series.get(key)
    if found is not None:
        with _lock:
            stats["hits"] += 1
        return found
    loaded = [series_for(i, interval, start, end) for i in instruments]
    with _lock:
        stats["loads"] += 1
    _series.put(key, loaded)
    return loaded


def series_cache_clear() -> None:
    _series.clear()
    with _lock:
        stats.update(loads=0, hits=0)
