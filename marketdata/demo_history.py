"""Years of demo history behind the few weeks `seed_demo` makes at once, so demo backtests have enough bars.

Run by a Celery task that `seed_demo` queues (the platform starts without waiting for it). Prices are a
seeded random walk going back in time from the oldest stored candle, so the same database gets the same
history, and what is already there is never touched (inserts skip existing buckets).
"""

import math
import random
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.clock import IST_OFFSET_SECONDS as IST_OFFSET

from .demo import _daily_candle, _on_tick
from .feeds import DEFAULT_VOLATILITY, TRADING_SECONDS_PER_YEAR, demo_reference_prices
from .intervals import bucket_start, ist_day_start
from .models import INDEX_TYPES, Candle, Instrument

SESSION_OPEN = 9 * 3600 + 15 * 60  # 09:15 IST, seconds after IST midnight
SESSION_MINUTES = 375  # to 15:30
BATCH = 5000
AGGREGATES = ("5m", "15m", "1h")
Progress = Callable[[str, int, int], None]


def demo_history_extend(*, years: int, minute_days: int, seed: int = 11, progress: Progress | None = None) -> int:
    """`years` of daily candles for every active instrument and `minute_days` sessions of 1m candles (with their
    5m, 15m and 1h) for the indices, before what is stored. Returns the rows written."""
    instruments = list(Instrument.objects.filter(is_active=True).order_by("id"))
    written = 0
    for done, instrument in enumerate(instruments, start=1):
        written += _daily_before(instrument, years, seed)
        if progress:
            progress("daily", done, len(instruments))
    indices = [i for i in instruments if i.instrument_type in INDEX_TYPES]
    for done, instrument in enumerate(indices, start=1):
        written += _minutes_before(instrument, minute_days, seed)
        if progress:
            progress("minutes", done, len(indices))
    return written


def _rng(instrument: Instrument, seed: int, what: str) -> random.Random:
    return random.Random(zlib.crc32(f"{seed}:{what}:{instrument.key}".encode()))  # noqa: S311 - demo prices


def _volatility(instrument: Instrument) -> float:
    reference = demo_reference_prices().get(instrument.key, {})
    return reference.get("vol") or DEFAULT_VOLATILITY.get(instrument.instrument_type, 0.3)


def _daily_before(instrument: Instrument, years: int, seed: int) -> int:
    daily = Candle.objects.filter(instrument=instrument, interval="1d")
    oldest, newest = daily.order_by("start").first(), daily.order_by("-start").first()
    if oldest is None or years <= 0:
        return 0  # nothing to continue from: seed_demo's backfill comes first
    target = newest.start - timedelta(days=round(365.25 * years))  # from the newest: a second run adds nothing
    vol, tick = _volatility(instrument), float(instrument.tick_size) or 0.05
    rng = _rng(instrument, seed, "1d")
    price, day = float(oldest.open), ist_day_start(int(oldest.start.timestamp()))
    candles = []
    while (day := day - 86400) >= target.timestamp():
        if datetime.fromtimestamp(day + IST_OFFSET, tz=UTC).weekday() < 5:
            candles.append(_daily_candle(instrument, day, price, vol, tick, rng))
            price /= math.exp(rng.gauss(0.0, vol / math.sqrt(252)))
    return _insert(candles)


def _minutes_before(instrument: Instrument, days: int, seed: int) -> int:
    """Whole sessions (09:15 to 15:30 IST) on the `days` weekdays before the oldest stored minute."""
    minutes = Candle.objects.filter(instrument=instrument, interval="1m")
    oldest = minutes.order_by("start").first()
    remaining = days - minutes.dates("start", "day").count()  # so that a second run adds nothing
    if oldest is None or remaining <= 0:
        return 0
    vol, tick = _volatility(instrument), float(instrument.tick_size) or 0.05
    sigma = vol * math.sqrt(60 / TRADING_SECONDS_PER_YEAR)
    rng = _rng(instrument, seed, "1m")
    price, day, written = float(oldest.open), ist_day_start(int(oldest.start.timestamp())), 0
    while remaining:
        day -= 86400
        if datetime.fromtimestamp(day + IST_OFFSET, tz=UTC).weekday() >= 5:
            continue
        minutes, price = _session(instrument, day, price, sigma, tick, rng)
        written += _insert(minutes + _aggregated(minutes))
        remaining -= 1
    return written


def _session(instrument, day: int, close: float, sigma: float, tick: float, rng) -> tuple[list[Candle], float]:
    """One session's minute candles ending at `close`, and the price it opened at (walked backwards)."""
    closes = []
    for _ in range(SESSION_MINUTES):
        closes.append(close)
        close /= math.exp(rng.gauss(0.0, sigma))
    closes.reverse()
    opened, previous, candles = close, close, []
    for minute, last in enumerate(closes):
        start = day + SESSION_OPEN + 60 * minute
        swing = abs(rng.gauss(0.0, sigma * last))
        o, c = _on_tick(previous, tick), _on_tick(last, tick)
        h, lo = _on_tick(max(previous, last) + swing, tick), _on_tick(max(tick, min(previous, last) - swing), tick)
        volume = instrument.lot_size * rng.randint(50, 5000)
        candles.append(_candle(instrument, "1m", start, o, max(o, h, c), min(o, lo, c), c, volume))
        previous = last
    return candles, opened


def _aggregated(minutes: list[Candle]) -> list[Candle]:
    """The 5m, 15m and 1h candles of a session, built from its minutes as the live feed buckets them."""
    out = []
    for interval in AGGREGATES:
        buckets: dict[int, list[Candle]] = {}
        for candle in minutes:
            buckets.setdefault(bucket_start(int(candle.start.timestamp()), interval), []).append(candle)
        for start, group in buckets.items():
            high, low = max(c.high for c in group), min(c.low for c in group)
            volume = sum(c.volume for c in group)
            out.append(_candle(group[0].instrument, interval, start, group[0].open, high, low, group[-1].close, volume))
    return out


def _candle(instrument, interval: str, start: int, o, h, lo, c, volume: int) -> Candle:
    when = datetime.fromtimestamp(start, tz=UTC)
    return Candle(instrument=instrument, interval=interval, start=when, open=o, high=h, low=lo, close=c, volume=volume)


def _insert(candles: list[Candle]) -> int:
    for start in range(0, len(candles), BATCH):
        Candle.objects.bulk_create(candles[start : start + BATCH], ignore_conflicts=True)
    return len(candles)
