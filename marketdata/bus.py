"""How ticks reach whoever listens: one process-wide bus, optionally relayed through Redis.

Higher layers (the paper exchange, strategies) subscribe in their
AppConfig.ready; marketdata never imports them. In the process that runs the
feed, listeners are called synchronously for every tick. With Redis
configured, the feed also relays ticks in batches to the `marketdata:ticks`
channel, and any other process can call `relay_from_redis()` to feed its own
bus from there: one subscription API for both paths.
"""

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

logger = logging.getLogger(__name__)

TICKS_CHANNEL = settings.REDIS_PUBSUB_PREFIX + "marketdata:ticks"  # this installation's (settings)


@dataclass(slots=True, frozen=True)
class Tick:
    instrument_id: int
    ltp: Decimal
    ts: float  # epoch seconds, UTC
    qty: int = 0
    bid: Decimal | None = None
    ask: Decimal | None = None

    def to_wire(self) -> list:
        return [self.instrument_id, str(self.ltp), self.ts, self.qty, _s(self.bid), _s(self.ask)]

    @classmethod
    def from_wire(cls, row: list) -> "Tick":
        iid, ltp, ts, qty, bid, ask = row
        return cls(iid, Decimal(ltp), ts, qty, _d(bid), _d(ask))


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


TickListener = Callable[[Tick], None]


class TickBus:
    def __init__(self) -> None:
        self._listeners: list[TickListener] = []

    def subscribe(self, listener: TickListener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: TickListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, tick: Tick) -> None:
        for listener in self._listeners:
            try:
                listener(tick)
            except Exception:  # one broken listener must not stop the feed
                logger.exception("tick listener %r failed", listener)


tick_bus = TickBus()


class RedisTickRelay:
    """Buffers this process's ticks and publishes them to Redis once per flush."""

    def __init__(self, redis_client) -> None:
        self.redis = redis_client
        self.buffer: list[list] = []

    def __call__(self, tick: Tick) -> None:
        self.buffer.append(tick.to_wire())

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        try:
            self.redis.publish(TICKS_CHANNEL, json.dumps(batch))
        except Exception:
            logger.warning("could not relay %d ticks to Redis", len(batch))


def relay_from_redis(redis_client, bus: TickBus = tick_bus, stop: threading.Event | None = None) -> threading.Thread:
    """Feed `bus` in this process from the ticks another process relays through Redis."""
    stop = stop or threading.Event()
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(TICKS_CHANNEL)

    def run(client=redis_client) -> None:
        # Holding `client` matters: redis-py closes a client's connections when
        # the client is garbage-collected, which would cut this subscription.
        while not stop.is_set():
            message = pubsub.get_message(timeout=0.5)
            if message and message["type"] == "message":
                for row in json.loads(message["data"]):
                    bus.publish(Tick.from_wire(row))
        pubsub.close()
        client.close()

    thread = threading.Thread(target=run, name="tick-relay", daemon=True)
    thread.start()
    return thread


# --- What the feed should produce ticks for -----------------------------------

SubscriptionProvider = Callable[[], Iterable[int]]
_subscription_providers: dict[str, SubscriptionProvider] = {}


def register_subscription_provider(name: str, provider: SubscriptionProvider) -> None:
    """Apps say which instruments they need live prices for (watchlists, open orders, positions)."""
    _subscription_providers[name] = provider


def wanted_instrument_ids() -> set[int]:
    wanted: set[int] = set()
    for name, provider in _subscription_providers.items():
        try:
            wanted.update(provider())
        except Exception:
            logger.exception("subscription provider %s failed", name)
    return wanted


# --- Consumers that run inside the feed process --------------------------------

FeedConsumer = Callable[[TickBus], Callable[[], None] | None]
_feed_consumers: dict[str, FeedConsumer] = {}


def register_feed_consumer(name: str, start: FeedConsumer) -> None:
    """`start(bus)` is called once by the process that runs a feed; it may return a stop function."""
    _feed_consumers[name] = start


def feed_consumers() -> dict[str, FeedConsumer]:
    return dict(_feed_consumers)
