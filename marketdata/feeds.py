"""Tick sources and the loop that runs one: `python manage.py run_feed`."""

import json
import logging
import math
import random
import signal
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import connection

from . import metrics
from .bus import RedisTickRelay, Tick, TickBus, feed_consumers, tick_bus, wanted_instrument_ids
from .intervals import interval_seconds
from .models import Candle, Instrument, Quote
from .quotes import quotes_publish
from .services import feed_heartbeat, market_state_flush, market_state_load
from .ticks import CandleRow, QuoteRow, TickProcessor

logger = logging.getLogger("marketdata.feed")

DEMO_PRICES = Path(__file__).resolve().parent / "demo" / "prices.json"
# Seconds of NSE trading in a year: annual volatility -> volatility per second.
TRADING_SECONDS_PER_YEAR = 252 * 6.25 * 3600
DEFAULT_VOLATILITY = {"AMXIDX": 0.14, "EQ": 0.28, "FUTIDX": 0.15, "FUTSTK": 0.30, "OPTIDX": 1.1, "OPTSTK": 1.2}


def demo_reference_prices() -> dict[str, dict]:
    try:
        return json.loads(DEMO_PRICES.read_text())
    except OSError:
        return {}


class _Walk:
    __slots__ = ("lot", "price", "rng", "sigma", "spread", "tick", "tick_f")

    def __init__(self, price: Decimal, tick: Decimal, sigma: float, lot: int, rng: random.Random) -> None:
        self.tick = tick
        self.tick_f = float(tick)
        self.price = price
        self.sigma = sigma
        self.lot = lot
        self.rng = rng
        self.spread = 1 + rng.randrange(3)  # in ticks


class SimulatedSource:
    """A seeded random walk per instrument, with a bid/ask spread and traded quantities.

    The same seed and instrument always give the same path, so runs are
    repeatable; volatility comes from the demo price file or the instrument type.
    """

    name = "simulated"

    def __init__(self, *, seed: int = 42, ticks_per_second: float = 4.0) -> None:
        self.seed = seed
        self.step_seconds = 1.0 / ticks_per_second
        self.walks: dict[int, _Walk] = {}
        self.references = demo_reference_prices()

    def subscribe(self, instrument_ids: set[int]) -> None:
        new = instrument_ids - set(self.walks)
        for pk in set(self.walks) - instrument_ids:
            del self.walks[pk]
        if not new:
            return
        last = {q.instrument_id: q.ltp for q in Quote.objects.filter(instrument_id__in=new)}
        for instrument in Instrument.objects.filter(id__in=new, is_active=True):
            reference = self.references.get(instrument.key, {})
            price = last.get(instrument.id) or self._last_close(instrument) or Decimal(str(reference.get("price", 0)))
            if not price:
                price = Decimal(50 + zlib.crc32(instrument.token.encode()) % 4950)
            tick = instrument.tick_size if instrument.tick_size > 0 else Decimal("0.05")
            vol = reference.get("vol") or DEFAULT_VOLATILITY.get(instrument.instrument_type, 0.3)
            sigma = vol * math.sqrt(self.step_seconds / TRADING_SECONDS_PER_YEAR)
            rng = random.Random(self.seed * 1_000_003 + zlib.crc32(instrument.key.encode()))  # noqa: S311 - simulated ticks
            self.walks[instrument.id] = _Walk(_round_to_tick(price, tick), tick, sigma, instrument.lot_size, rng)

    @staticmethod
    def _last_close(instrument: Instrument) -> Decimal | None:
        candle = Candle.objects.filter(instrument=instrument).order_by("-start").only("close").first()
        return candle.close if candle else None

    def next_ticks(self, now: float) -> list[Tick]:
        ticks = []
        for pk, walk in self.walks.items():
            rng = walk.rng
            if rng.random() < 0.15:
                continue  # not every instrument trades every step
            ticks.append(_walk_step(pk, walk, now))
        return ticks


def _walk_step(pk: int, walk: _Walk, now: float) -> Tick:
    rng = walk.rng
    moved = float(walk.price) * math.exp(rng.gauss(0.0, walk.sigma))
    steps = max(1, round(moved / walk.tick_f))
    walk.price = walk.tick * steps
    if rng.random() < 0.1:
        walk.spread = 1 + rng.randrange(3)
    half = walk.tick * walk.spread
    bid = max(walk.price - half, walk.tick)
    qty = walk.lot * max(1, int(rng.expovariate(1 / 3)))
    return Tick(pk, walk.price, now, qty, bid, walk.price + half)


def _round_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    return max(tick, (price / tick).to_integral_value() * tick)


class ReplaySource:
    """Plays stored candles back as ticks (open, high/low, close) at `speed` times real time.

    Ticks carry the current time: the replayed history is the market the
    paper exchange and strategies see, and quotes and candles form from it.
    """

    name = "replay"

    def __init__(self, *, interval: str = "1m", start=None, end=None, speed: float = 60.0, loop: bool = False):
        self.interval = interval
        self.start, self.end = start, end
        self.speed = speed
        self.loop = loop
        self.step_seconds = interval_seconds(interval) / speed / 4
        self.paths: dict[int, list[tuple[Decimal, int]]] = {}
        self.cursor = 0
        self.finished = False

    def subscribe(self, instrument_ids: set[int]) -> None:
        for pk in instrument_ids - set(self.paths):
            candles = Candle.objects.filter(instrument_id=pk, interval=self.interval)
            if self.start:
                candles = candles.filter(start__gte=self.start)
            if self.end:
                candles = candles.filter(start__lt=self.end)
            path: list[tuple[Decimal, int]] = []
            for c in candles.order_by("start").iterator(chunk_size=2000):
                first, second = (c.low, c.high) if c.close >= c.open else (c.high, c.low)
                share = c.volume // 4
                path += [(c.open, share), (first, share), (second, share), (c.close, c.volume - 3 * share)]
            if path:
                self.paths[pk] = path

    def next_ticks(self, now: float) -> list[Tick]:
        ticks = []
        longest = max((len(p) for p in self.paths.values()), default=0)
        if self.cursor >= longest:
            if self.loop and longest:
                self.cursor = 0
            else:
                self.finished = bool(self.paths)
                return ticks
        for pk, path in self.paths.items():
            if self.cursor < len(path):
                price, qty = path[self.cursor]
                ticks.append(Tick(pk, price, now, qty))
        self.cursor += 1
        return ticks


class FeedRunner:
    """Runs a source: ticks -> live quotes and candles -> listeners; flushes to cache and database."""

    def __init__(
        self,
        source,
        *,
        bus: TickBus = tick_bus,
        symbols: set[int] | None = None,
        flush_interval: float | None = None,
        subscription_refresh: float = 1.0,
        on_tick: Callable[[Tick], None] | None = None,
    ) -> None:
        self.source = source
        self.bus = bus
        self.explicit = symbols or set()
        self.flush_interval = flush_interval or settings.FEED_FLUSH_INTERVAL_SECONDS
        self.subscription_refresh = subscription_refresh
        self.processor = TickProcessor(resume=market_state_load)
        self.redis = _redis_client()
        self.relay = RedisTickRelay(self.redis) if self.redis else None
        self.started_at = datetime.now(UTC)
        self.last_tick_at: float | None = None
        self.stopping = False
        self._pending_quotes: dict[int, QuoteRow] = {}
        self._pending_candles: dict[tuple[int, str, int], CandleRow] = {}
        self._stops: list[Callable[[], None]] = []

    def stop(self, *_args) -> None:
        self.stopping = True

    def run(self, duration: float | None = None) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        if self.relay:
            self.bus.subscribe(self.relay)
        for name, start in feed_consumers().items():
            logger.info("starting feed consumer %s", name)
            stop = start(self.bus)
            if stop:
                self._stops.append(stop)
        deadline = time.monotonic() + duration if duration else None
        next_flush = next_refresh = time.monotonic()
        next_report = next_flush + 10
        window_ticks = 0
        try:
            while not self.stopping and not getattr(self.source, "finished", False):
                tick_now = time.monotonic()
                if deadline and tick_now >= deadline:
                    break
                if tick_now >= next_refresh:
                    self._refresh_subscriptions()
                    next_refresh = tick_now + self.subscription_refresh
                batch = self.source.next_ticks(time.time())
                for tick in batch:
                    self.processor.process(tick)
                    self.bus.publish(tick)
                    self.last_tick_at = tick.ts
                window_ticks += len(batch)
                if self.relay:
                    self.relay.flush()  # at once: the live stream's quotes are as fresh as the relay
                metrics.count(metrics.ticks.labels(self.source.name), len(batch))
                if tick_now >= next_flush:
                    self.flush()
                    next_flush = tick_now + self.flush_interval
                if tick_now >= next_report:
                    if window_ticks:
                        logger.info(
                            "feed %s: %d ticks in the last 10 s for %d instruments",
                            self.source.name,
                            window_ticks,
                            self.processor.instruments,
                        )
                    window_ticks = 0
                    next_report = tick_now + 10
                time.sleep(max(0.0, self.source.step_seconds - (time.monotonic() - tick_now)))
        finally:
            self.flush()
            for stop in self._stops:
                stop()
            close = getattr(self.source, "close", None)
            if close:
                close()
            if self.relay:
                self.bus.unsubscribe(self.relay)

    def _refresh_subscriptions(self) -> None:
        try:
            self.source.subscribe(wanted_instrument_ids() | self.explicit)
        except Exception:
            logger.exception("could not refresh the feed's subscriptions")
            connection.close()

    def flush(self) -> None:
        quotes, candles = self.processor.drain()
        for q in quotes:
            self._pending_quotes[q.instrument_id] = q
        for c in candles:
            self._pending_candles[(c.instrument_id, c.interval, c.start)] = c
        try:
            market_state_flush(quotes=list(self._pending_quotes.values()), candles=list(self._pending_candles.values()))
            feed_heartbeat(
                source=self.source.name,
                started_at=self.started_at,
                last_tick_at=self.last_tick_at,
                ticks=self.processor.ticks,
                instruments=self.processor.instruments,
            )
        except Exception:
            # Keep what was not written; the next flush carries it (latest values win).
            logger.exception("feed flush failed; will retry with %d quotes pending", len(self._pending_quotes))
            connection.close()
            return
        quotes_publish(list(self._pending_quotes.values()), self.redis)
        if self.relay:
            self.relay.flush()
        self._pending_quotes.clear()
        self._pending_candles.clear()


def _redis_client():
    if not settings.REDIS_URL:
        return None
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
