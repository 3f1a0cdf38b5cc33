"""Demo market data for `seed_demo`: the demo instruments and a plausible recent history."""

import math
import random
import zlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from core import clock
from core.clock import IST_OFFSET_SECONDS as IST_OFFSET

from .bus import Tick
from .feeds import DEFAULT_VOLATILITY, TRADING_SECONDS_PER_YEAR, demo_reference_prices
from .intervals import ist_day_start
from .models import Candle, Instrument
from .services import ImportReport, candles_upsert, instruments_import, market_state_flush
from .ticks import LiveQuote, TickProcessor

DEMO_SCRIP_MASTER = Path(__file__).resolve().parent / "demo" / "scrip_master.json"
DEMO_WATCHLIST = [
    "NSE:Nifty 50",
    "NSE:SBIN-EQ",
    "NSE:RELIANCE-EQ",
    "NSE:INFY-EQ",
    "NSE:TCS-EQ",
    "NSE:HDFCBANK-EQ",
    "NFO:NIFTY29DEC26FUT",
]


def demo_instruments_import() -> ImportReport:
    """Adds or updates the demo instruments without deactivating anything else."""
    return instruments_import(data=DEMO_SCRIP_MASTER.read_bytes(), deactivate_missing=False)


def demo_history_backfill(*, session_minutes: int = 375, days: int = 60, seed: int = 7, now: float | None = None):
    """Daily candles for the last `days` weekdays and one session of minute data up to now.

    Only instruments with no candles at all get history, so running it again
    changes nothing. The minute data goes through the same TickProcessor the
    live feed uses, so every interval's candles are built by production code.
    """
    now = now or clock.now().timestamp()  # the one clock: tests may move it
    references = demo_reference_prices()
    todo = [i for i in Instrument.objects.filter(is_active=True) if not Candle.objects.filter(instrument=i).exists()]
    if not todo:
        return 0
    window_start = int(now) - session_minutes * 60
    window_start -= window_start % 60
    previous_close: dict[int, Decimal] = {}

    def resume(instrument_id: int):
        quote = LiveQuote(instrument_id)
        quote.close = previous_close.get(instrument_id)
        return quote, {}

    processor = TickProcessor(resume=resume)
    daily: list[Candle] = []
    for instrument in todo:
        reference = references.get(instrument.key, {})
        price = float(reference.get("price") or 100)
        tick = float(instrument.tick_size) or 0.05
        vol = reference.get("vol") or DEFAULT_VOLATILITY.get(instrument.instrument_type, 0.3)
        rng = random.Random(seed * 7919 + zlib.crc32(instrument.key.encode()))  # noqa: S311 - seeded demo prices
        # Walk backwards from the reference price so the demo lands near it today.
        day = ist_day_start(window_start) - 86400
        closes = []
        while len(closes) < days:
            weekday = datetime.fromtimestamp(day + IST_OFFSET, tz=UTC).weekday()
            if weekday < 5:
                closes.append((day, price))
                price /= math.exp(rng.gauss(0.0, vol / math.sqrt(252)))
            day -= 86400
        for day_start, close in reversed(closes):
            daily.append(_daily_candle(instrument, day_start, close, vol, tick, rng))
        previous_close[instrument.id] = daily[-1].close
        # One session of minutes, four ticks a minute, starting at the last daily close.
        walk = closes[0][1]
        sigma = vol * math.sqrt(15 / TRADING_SECONDS_PER_YEAR)
        for minute in range(window_start, int(now), 60):
            for second in (0, 15, 30, 45):
                if minute + second > now:
                    break  # history ends now: a tick from the future would freeze the live feed
                walk *= math.exp(rng.gauss(0.0, sigma))
                price_d = _on_tick(walk, tick)
                # About what the live feed trades in 15 s, so history and live volume bars match.
                qty = instrument.lot_size * max(1, int(rng.expovariate(1 / 170)))
                processor.process(Tick(instrument.id, price_d, float(minute + second), qty))
    candles_upsert(daily)
    quotes, candles = processor.drain()
    market_state_flush(quotes=quotes, candles=candles)
    return len(todo)


def _on_tick(price: float, tick: float) -> Decimal:
    tick_d = Decimal(str(tick))
    return tick_d * max(1, round(price / tick))


def _daily_candle(instrument, day_start: int, close: float, vol: float, tick: float, rng: random.Random) -> Candle:
    spread = close * vol / math.sqrt(252)
    open_ = close * math.exp(rng.gauss(0.0, vol / math.sqrt(252) / 2))
    high = max(open_, close) + abs(rng.gauss(0.0, spread / 2))
    low = max(tick, min(open_, close) - abs(rng.gauss(0.0, spread / 2)))
    o, h, lo, c = (_on_tick(v, tick) for v in (open_, high, low, close))
    return Candle(
        instrument=instrument,
        interval="1d",
        start=datetime.fromtimestamp(day_start, tz=UTC),
        open=o,
        high=max(o, h, c),
        low=min(o, lo, c),
        close=c,
        volume=instrument.lot_size * rng.randint(200_000, 2_000_000) // max(1, instrument.lot_size),
    )
