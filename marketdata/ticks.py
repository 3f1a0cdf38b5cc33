"""Turns ticks into live quotes and candles, in memory, at a few microseconds a tick.

Persistence happens in `drain()` batches (the feed flushes a few times a
second), so the per-tick cost does not depend on the database, nor on how
many instruments there are: a tick touches one quote and five candles.
"""

from dataclasses import dataclass
from decimal import Decimal

from .bus import Tick
from .intervals import BUCKETS, INTERVALS, IST_OFFSET


class LiveQuote:
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
    __slots__ = ("close", "dirty", "high", "low", "open", "start", "volume")

    def __init__(self, start: int, price: Decimal, volume: int) -> None:
        self.start = start
        self.open = self.high = self.low = self.close = price
        self.volume = volume
        self.dirty = True


@dataclass(frozen=True, slots=True)
class CandleRow:
    instrument_id: int
    interval: str
    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


@dataclass(frozen=True, slots=True)
class QuoteRow:
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


class TickProcessor:
    """Keeps the live quote and the open candles of every instrument it has seen.

    `resume(instrument_id)` may be given to continue from persisted state (the
    last quote and the open candles) the first time an instrument ticks.
    """

    def __init__(self, resume=None) -> None:
        self.quotes: dict[int, LiveQuote] = {}
        self.candles: dict[int, list[LiveCandle | None]] = {}
        self._dirty: set[int] = set()
        self._closed: list[CandleRow] = []
        self._buckets = [(interval, *BUCKETS[interval]) for interval in INTERVALS]
        self._resume = resume
        self.ticks = 0

    def _first_sight(self, instrument_id: int) -> LiveQuote:
        quote, candles = self._resume(instrument_id) if self._resume else (None, {})
        quote = quote or LiveQuote(instrument_id)
        self.quotes[instrument_id] = quote
        self.candles[instrument_id] = [candles.get(interval) for interval, _, _ in self._buckets]
        return quote

    def process(self, tick: Tick) -> None:
        iid = tick.instrument_id
        price = tick.ltp
        quote = self.quotes.get(iid) or self._first_sight(iid)
        if tick.ts < quote.ts:
            return  # a late, out-of-order tick must not move the price back in time
        epoch = int(tick.ts)
        day = epoch - (epoch + IST_OFFSET) % 86400
        if day != quote.day:
            if quote.day is not None and quote.ltp is not None:
                quote.close = quote.ltp  # yesterday's last price is today's reference close
            quote.day = day
            quote.open = quote.high = quote.low = price
            quote.volume = 0
        elif price > quote.high:
            quote.high = price
        elif price < quote.low:
            quote.low = price
        quote.ltp = price
        quote.volume += tick.qty
        quote.ts = tick.ts
        if tick.bid is not None:
            quote.bid = tick.bid
        if tick.ask is not None:
            quote.ask = tick.ask

        slots = self.candles[iid]
        for index, (interval, size, shift) in enumerate(self._buckets):
            start = epoch - (epoch + shift) % size
            candle = slots[index]
            if candle is None or candle.start != start:
                if candle is not None and candle.dirty:
                    self._closed.append(_row(iid, interval, candle))
                slots[index] = LiveCandle(start, price, tick.qty)
                continue
            if price > candle.high:
                candle.high = price
            elif price < candle.low:
                candle.low = price
            candle.close = price
            candle.volume += tick.qty
            candle.dirty = True
        self._dirty.add(iid)
        self.ticks += 1

    def drain(self) -> tuple[list[QuoteRow], list[CandleRow]]:
        """What changed since the last drain: quotes and candles to persist."""
        quotes: list[QuoteRow] = []
        candles, self._closed = self._closed, []
        for iid in self._dirty:
            q = self.quotes[iid]
            quotes.append(QuoteRow(iid, q.ltp, q.bid, q.ask, q.open, q.high, q.low, q.close, q.volume, q.ts))
            for (interval, _, _), candle in zip(self._buckets, self.candles[iid], strict=True):
                if candle is not None and candle.dirty:
                    candles.append(_row(iid, interval, candle))
                    candle.dirty = False
        self._dirty = set()
        return quotes, candles


def _row(iid: int, interval: str, c: LiveCandle) -> CandleRow:
    return CandleRow(iid, interval, c.start, c.open, c.high, c.low, c.close, c.volume)
