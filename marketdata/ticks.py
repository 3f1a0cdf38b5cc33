"""Turns ticks into live quotes and candles, in memory, at about a microsecond a tick.

Persistence happens in `drain()` batches (the feed flushes a few times a
second), so a tick never waits for the database. Each instrument's whole live
state (its quote and its five forming candles) is one contiguous array of
64-bit integers (prices scaled by 10^6, so exact to six decimals): a tick
touches a few adjacent cache lines, and its cost stays flat whether the feed
carries a hundred instruments or ten thousand. Decimals appear only at the
edges: reading a tick and draining rows.
"""

from array import array
from decimal import Decimal
from typing import NamedTuple

from core.clock import IST_OFFSET_SECONDS as IST_OFFSET

from .bus import Tick
from .intervals import BUCKETS, INTERVALS

SCALE = 6  # prices are held as integer millionths of a rupee
NONE = -1  # prices are positive: -1 means "not known"

# Quote fields, then six fields per interval (start, open, high, low, close, volume).
LTP, BID, ASK, OPEN, HIGH, LOW, CLOSE, VOLUME, TS_US, DAY, DIRTY = range(11)
CANDLES = 11
START, C_OPEN, C_HIGH, C_LOW, C_CLOSE, C_VOLUME = range(6)
WIDTH = CANDLES + 6 * len(INTERVALS)
_EMPTY = array("q", [NONE] * WIDTH)


def to_units(price: Decimal) -> int:
    return int(price.scaleb(SCALE))


_decimals: dict[int, Decimal] = {}


def from_units(units: int) -> Decimal | None:
    # Prices sit on tick grids and repeat endlessly: building each Decimal once
    # makes draining a dictionary lookup per field.
    value = _decimals.get(units)
    if value is None:
        if units == NONE:
            return None
        if len(_decimals) >= 500_000:
            _decimals.clear()
        value = _decimals[units] = Decimal(units).scaleb(-SCALE)
    return value


class LiveQuote:
    """A readable copy of an instrument's live quote (for resuming and inspecting state)."""

    __slots__ = ("ask", "bid", "close", "day", "high", "instrument_id", "low", "ltp", "open", "ts", "volume")

    def __init__(self, instrument_id: int) -> None:
        self.instrument_id = instrument_id
        self.ltp: Decimal | None = None
        self.bid: Decimal | None = None
        self.ask: Decimal | None = None
        self.open: Decimal | None = None
        self.high: Decimal | None = None
        self.low: Decimal | None = None
        self.close: Decimal | None = None  # previous session's close
        self.volume = 0
        self.ts = 0.0
        self.day: int | None = None  # epoch of the IST day the session values belong to


class LiveCandle:
    __slots__ = ("close", "high", "low", "open", "start", "volume")

    def __init__(self, start: int, price: Decimal, volume: int) -> None:
        self.start = start
        self.open = self.high = self.low = self.close = price
        self.volume = volume


class CandleRow(NamedTuple):
    instrument_id: int
    interval: str
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


class QuoteRow(NamedTuple):
    instrument_id: int
    ltp: Decimal
    bid: Decimal | None
    ask: Decimal | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None
    volume: int
    ts: float


def _state_from(quote: LiveQuote | None, candles: dict[str, LiveCandle]) -> array:
    state = array("q", _EMPTY)
    state[VOLUME], state[TS_US], state[DIRTY] = 0, 0, 0
    if quote is not None:
        for field, value in (
            (LTP, quote.ltp),
            (BID, quote.bid),
            (ASK, quote.ask),
            (OPEN, quote.open),
            (HIGH, quote.high),
            (LOW, quote.low),
            (CLOSE, quote.close),
        ):
            if value is not None:
                state[field] = to_units(value)
        state[VOLUME] = quote.volume
        state[TS_US] = int(quote.ts * 1_000_000)
        state[DAY] = NONE if quote.day is None else quote.day
    for index, interval in enumerate(INTERVALS):
        candle = candles.get(interval)
        if candle is not None:
            base = CANDLES + 6 * index
            state[base + START] = candle.start
            state[base + C_OPEN] = to_units(candle.open)
            state[base + C_HIGH] = to_units(candle.high)
            state[base + C_LOW] = to_units(candle.low)
            state[base + C_CLOSE] = to_units(candle.close)
            state[base + C_VOLUME] = candle.volume
    return state


class TickProcessor:
    """Keeps the live quote and the forming candles of every instrument it has seen.

    `resume(instrument_id) -> (LiveQuote | None, {interval: LiveCandle})` may
    be given to continue from persisted state the first time an instrument ticks.
    """

    def __init__(self, resume=None) -> None:
        self.state: dict[int, array] = {}
        self._dirty: set[int] = set()
        self._closed: list[CandleRow] = []
        self._buckets = [
            (CANDLES + 6 * i, 1 << i, interval, *BUCKETS[interval]) for i, interval in enumerate(INTERVALS)
        ]
        self._resume = resume
        self.ticks = 0

    def _first_sight(self, instrument_id: int) -> array:
        quote, candles = self._resume(instrument_id) if self._resume else (None, {})
        state = self.state[instrument_id] = _state_from(quote, candles)
        return state

    def process(self, tick: Tick) -> None:
        iid = tick.instrument_id
        s = self.state.get(iid)
        if s is None:
            s = self._first_sight(iid)
        ts_us = int(tick.ts * 1_000_000)
        if ts_us < s[TS_US]:
            return  # a late, out-of-order tick must not move the price back in time
        price = int(tick.ltp.scaleb(SCALE))
        qty = tick.qty
        epoch = ts_us // 1_000_000
        day = epoch - (epoch + IST_OFFSET) % 86400
        if day != s[DAY]:
            if s[DAY] != NONE and s[LTP] != NONE:
                s[CLOSE] = s[LTP]  # yesterday's last price is today's reference close
            s[DAY] = day
            s[OPEN] = s[HIGH] = s[LOW] = price
            s[VOLUME] = 0
        elif price > s[HIGH]:
            s[HIGH] = price
        elif price < s[LOW]:
            s[LOW] = price
        s[LTP] = price
        s[VOLUME] += qty
        s[TS_US] = ts_us
        if tick.bid is not None:
            s[BID] = int(tick.bid.scaleb(SCALE))
        if tick.ask is not None:
            s[ASK] = int(tick.ask.scaleb(SCALE))
        dirty = s[DIRTY]
        for base, bit, interval, size, shift in self._buckets:
            start = epoch - (epoch + shift) % size
            if s[base] != start:
                if dirty & bit:
                    self._closed.append(_candle_row(iid, interval, s, base))
                s[base] = start
                s[base + 1] = s[base + 2] = s[base + 3] = s[base + 4] = price
                s[base + 5] = qty
            else:
                if price > s[base + 2]:
                    s[base + 2] = price
                elif price < s[base + 3]:
                    s[base + 3] = price
                s[base + 4] = price
                s[base + 5] += qty
            dirty |= bit
        s[DIRTY] = dirty
        self._dirty.add(iid)
        self.ticks += 1

    def drain(self) -> tuple[list[QuoteRow], list[CandleRow]]:
        """What changed since the last drain: quotes and candles to persist."""
        quotes: list[QuoteRow] = []
        candles, self._closed = self._closed, []
        for iid in self._dirty:
            s = self.state[iid]
            quotes.append(
                QuoteRow(
                    iid,
                    from_units(s[LTP]),
                    from_units(s[BID]),
                    from_units(s[ASK]),
                    from_units(s[OPEN]),
                    from_units(s[HIGH]),
                    from_units(s[LOW]),
                    from_units(s[CLOSE]),
                    s[VOLUME],
                    s[TS_US] / 1_000_000,
                )
            )
            dirty = s[DIRTY]
            for base, bit, interval, _, _ in self._buckets:
                if dirty & bit:
                    candles.append(_candle_row(iid, interval, s, base))
            s[DIRTY] = 0
        self._dirty = set()
        return quotes, candles

    def quote(self, instrument_id: int) -> LiveQuote | None:
        """A readable copy of one instrument's live quote."""
        s = self.state.get(instrument_id)
        if s is None:
            return None
        q = LiveQuote(instrument_id)
        q.ltp, q.bid, q.ask = from_units(s[LTP]), from_units(s[BID]), from_units(s[ASK])
        q.open, q.high, q.low, q.close = (
            from_units(s[OPEN]),
            from_units(s[HIGH]),
            from_units(s[LOW]),
            from_units(s[CLOSE]),
        )
        q.volume, q.ts = s[VOLUME], s[TS_US] / 1_000_000
        q.day = None if s[DAY] == NONE else s[DAY]
        return q

    @property
    def instruments(self) -> int:
        return len(self.state)


def _candle_row(iid: int, interval: str, s: array, base: int) -> CandleRow:
    return CandleRow(
        iid,
        interval,
        s[base],
        from_units(s[base + 1]),
        from_units(s[base + 2]),
        from_units(s[base + 3]),
        from_units(s[base + 4]),
        s[base + 5],
    )
