"""One hub per stream server process: which connection hears what, and the loops that feed them.

Market data is fanned out here, once per update, not once per subscriber: each quote or candle update is
encoded once and offered to every connection subscribed to it, which keeps only the latest frame per topic
until it can send (coalescing: a slow client gets the newest quote, never a growing queue).

Where updates come from:
- quotes: with Redis, the ticks the feed relays (`marketdata:ticks`), applied to the last quote; on the
  embedded default, the quotes the feed writes to the database, looked up every STREAM_POLL_SECONDS;
- candles: the forming candles the feed writes (four times a second), looked up as often;
- private events: the log (notifications.stream_log), read when the channel layer says a user has new ones
  (with Redis), and every STREAM_POLL_SECONDS whatever happens (the only way on the embedded default).
"""

import asyncio
import json
import logging
import time
from collections import defaultdict
from contextlib import suppress
from datetime import UTC, datetime
from typing import Protocol

import redis.asyncio as aioredis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from core.push import STREAM_GROUP
from marketdata import quotes as quote_cache
from marketdata.api import QuoteOutputSerializer
from marketdata.bus import TICKS_CHANNEL, Tick
from marketdata.intervals import bucket_start
from marketdata.models import Candle
from marketdata.services.interest import instruments_interest_note
from notifications.stream_log import Written, stream_events_after, stream_events_after_each, stream_heads

from . import auth, protocol
from .topics import Topic

logger = logging.getLogger(__name__)

BACKLOG_LIMIT = 2000  # private events waiting for one connection before it is told to resync
PRIVATE_LOOK_WITH_REDIS = 2.0  # seconds between looks at the log when the layer brings the events
GROUP_RENEW_SECONDS = 3600.0  # the layer forgets a group's members after a day
INTEREST_EVERY = 60.0  # seconds between reminders to the feed of what the stream's clients watch
# One serializer for every quote frame: a new instance per tick would copy its declared fields each time.
_QUOTE = QuoteOutputSerializer()


class Connection(Protocol):
    credential: auth.Credential
    quote_topics: dict[int, str]
    candle_topics: dict[tuple[int, str], str]
    private_topics: dict[str, set[int | None]]
    cursor: int
    last_heard: float

    def offer(self, topic: str, frame: str) -> None: ...
    def push(self, frame: str) -> None: ...
    def end(self, close: protocol.Close, message: str) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self.by_user: dict[int, set[Connection]] = defaultdict(set)
        self.quote_subs: dict[int, set[Connection]] = defaultdict(set)
        self.candle_subs: dict[tuple[int, str], set[Connection]] = defaultdict(set)
        self.quotes: dict[int, quote_cache.CachedQuote] = {}
        self.candles: dict[tuple[int, str], tuple] = {}
        self.seen: dict[int, int] = {}  # per user: the last private seq this hub has handed out
        self.places: dict[int, Topic] = {}  # instrument id -> a topic naming it (exchange, symbol, places)
        self.resuming: dict[Connection, list] = {}
        self.degraded = False
        self._tasks: list[asyncio.Task] = []
        self._poke = asyncio.Event()
        self._quotes_after = time.time()
        self._dirty: set[int] = set()  # users whose events a layer message did not bring whole
        self._next_private_look = 0.0
        self._next_interest = 0.0

    # --- connections --------------------------------------------------------------------------------

    async def join(self, conn: Connection) -> protocol.Close | None:
        self._start()
        user = conn.credential.user_id
        if len(self.by_user[user]) >= settings.STREAM_MAX_CONNECTIONS_PER_USER:
            return protocol.TOO_MANY_CONNECTIONS
        if user not in self.seen:
            heads = await database_sync_to_async(stream_heads)([user])
            self.seen.setdefault(user, heads.get(user, 0))
        self.connections.add(conn)
        self.by_user[user].add(conn)
        conn.cursor = self.seen[user]
        return None

    def leave(self, conn: Connection) -> None:
        self.connections.discard(conn)
        self.resuming.pop(conn, None)
        users = self.by_user.get(conn.credential.user_id)
        if users is not None:
            users.discard(conn)
            if not users:
                del self.by_user[conn.credential.user_id]
                self.seen.pop(conn.credential.user_id, None)
        for iid in list(conn.quote_topics):
            self._drop(self.quote_subs, iid, conn)
        for key in list(conn.candle_topics):
            self._drop(self.candle_subs, key, conn)

    @staticmethod
    def _drop(index: dict, key, conn: Connection) -> None:
        subs = index.get(key)
        if subs is not None:
            subs.discard(conn)
            if not subs:
                del index[key]

    # --- market data --------------------------------------------------------------------------------

    async def watch(self, conn: Connection, topics: list[Topic]) -> None:
        """Subscribe `conn` to market topics and send each one's current value at once."""
        new_quotes = [t.instrument_id for t in topics if t.kind == "quotes" and t.instrument_id not in self.quotes]
        if new_quotes:
            found, _ = await database_sync_to_async(quote_cache.quotes_get)(new_quotes)
            self.quotes.update(found)
        for topic in topics:
            self.places[topic.instrument_id] = topic
            if topic.kind == "quotes":
                conn.quote_topics[topic.instrument_id] = topic.name
                self.quote_subs[topic.instrument_id].add(conn)
                if topic.instrument_id in self.quotes:
                    conn.offer(topic.name, self._quote_frame(topic.name, topic.instrument_id))
            else:
                key = (topic.instrument_id, topic.interval)
                conn.candle_topics[key] = topic.name
                self.candle_subs[key].add(conn)
                if key in self.candles:
                    conn.offer(topic.name, protocol.event(topic.name, self._candle_data(key)))
        self._poke.set()

    def unwatch(self, conn: Connection, names: set[str]) -> None:
        for iid, name in list(conn.quote_topics.items()):
            if name in names:
                del conn.quote_topics[iid]
                self._drop(self.quote_subs, iid, conn)
        for key, name in list(conn.candle_topics.items()):
            if name in names:
                del conn.candle_topics[key]
                self._drop(self.candle_subs, key, conn)

    def quote_updated(self, quote: quote_cache.CachedQuote) -> None:
        iid = quote.instrument_id
        self.quotes[iid] = quote
        subs = self.quote_subs.get(iid)
        if not subs:
            return
        frames: dict[str, str] = {}
        for conn in subs:
            name = conn.quote_topics.get(iid)
            frame = frames.get(name) or frames.setdefault(name, self._quote_frame(name, iid))
            conn.offer(name, frame)

    def tick(self, tick: Tick) -> None:
        """A relayed tick, applied to the last quote of its instrument (the feed writes the rest later)."""
        last = self.quotes.get(tick.instrument_id)
        if last is None:  # its first tick ever: the quote is what the tick says
            last = quote_cache.CachedQuote(tick.instrument_id, tick.ltp, None, None, None, None, None, None, 0, tick.ts)
        elif tick.ts < last.ts:
            return
        high = max(last.high, tick.ltp) if last.high is not None else tick.ltp
        low = min(last.low, tick.ltp) if last.low is not None else tick.ltp
        quote = last._replace(
            ltp=tick.ltp,
            bid=tick.bid if tick.bid is not None else last.bid,
            ask=tick.ask if tick.ask is not None else last.ask,
            high=high,
            low=low,
            volume=last.volume + tick.qty,
            ts=tick.ts,
        )
        self.quote_updated(quote)

    def _quote_frame(self, name: str, iid: int) -> str:
        place = self.places[iid]
        view = quote_cache.QuoteView(place.exchange, place.symbol, place.price_places, self.quotes[iid], time.time())
        return protocol.event(name, _QUOTE.to_representation(view))

    def _candle_data(self, key: tuple[int, str]) -> dict:
        start, open_, high, low, close, volume = self.candles[key]
        places = self.places[key[0]].price_places
        return {
            "start": start.isoformat().replace("+00:00", "Z"),
            "open": f"{open_:.{places}f}",
            "high": f"{high:.{places}f}",
            "low": f"{low:.{places}f}",
            "close": f"{close:.{places}f}",
            "volume": volume,
        }

    def candles_updated(self, rows: list[tuple]) -> None:
        for iid, interval, *values in rows:
            key = (iid, interval)
            if self.candles.get(key) == tuple(values):
                continue
            self.candles[key] = tuple(values)
            for conn in self.candle_subs.get(key, ()):
                name = conn.candle_topics[key]
                conn.offer(name, protocol.event(name, self._candle_data(key)))

    # --- private events -----------------------------------------------------------------------------

    async def resume(self, conn: Connection, after: int) -> bool:
        """Hand `conn` the user's events after `after`; False if they are no longer all kept (resync)."""
        user = conn.credential.user_id
        self.resuming[conn] = []
        try:
            events = await database_sync_to_async(_events_since)(user, after)
        finally:
            held = self.resuming.pop(conn, [])
        if events is None:
            conn.cursor = max(conn.cursor, self.seen.get(user, 0))
            return False
        conn.cursor = after
        for event in [*events, *held]:
            self._hand(conn, event)
        return True

    def private_arrived(self, user: int, events: list) -> None:
        for event in events:
            self.seen[user] = max(self.seen.get(user, 0), event.seq)
            frame = None  # encoded once, for however many of the user's connections hear it
            for conn in self.by_user.get(user, ()):
                if conn in self.resuming:
                    self.resuming[conn].append(event)
                elif self._hears(conn, event):
                    frame = frame or protocol.event(event.topic, event.data, event.seq)
                    conn.push(frame)

    def _hand(self, conn: Connection, event) -> None:
        if self._hears(conn, event):
            conn.push(protocol.event(event.topic, event.data, event.seq))

    @staticmethod
    def _hears(conn: Connection, event) -> bool:
        """Whether `conn` is to get `event` now (each event once: its cursor moves past it either way)."""
        if event.seq <= conn.cursor:
            return False
        conn.cursor = event.seq
        accounts = conn.private_topics.get(event.topic)
        if accounts is None:
            return False
        account = event.data.get("account")
        if not auth.may_hear(conn.credential, account):
            return False
        return None in accounts or account in accounts or account is None

    # --- the loops ----------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name="stream-poll"),
            asyncio.create_task(self._recheck_loop(), name="stream-recheck"),
        ]
        if settings.REDIS_URL:
            self._tasks.append(asyncio.create_task(self._ticks_loop(), name="stream-ticks"))
            self._tasks.append(asyncio.create_task(self._layer_loop(), name="stream-layer"))

    async def _poll_loop(self) -> None:
        while True:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), timeout=settings.STREAM_POLL_SECONDS)
            self._poke.clear()
            try:
                await self._poll_once()
            except Exception:
                logger.exception("the stream's poll failed; trying again")
                await asyncio.sleep(1)

    async def _poll_once(self) -> None:
        now = time.monotonic()
        if self.by_user and (self._dirty or now >= self._next_private_look):
            # With Redis the events come in the layer's messages: looking is the safety net, every few seconds.
            self._next_private_look = now + (PRIVATE_LOOK_WITH_REDIS if settings.REDIS_URL else 0)
            self._dirty.clear()
            await self._read_private()
        keys = list(self.candle_subs)
        if keys:
            self.candles_updated(await database_sync_to_async(_forming_candles)(keys))
        if self.quote_subs and (not settings.REDIS_URL or self.degraded):
            after, self._quotes_after = self._quotes_after, time.time()
            # A second's overlap: the feed stamps a quote with its tick's time, a little before it writes it.
            rows = await database_sync_to_async(quote_cache.quotes_written_after)(list(self.quote_subs), after - 1)
            for quote in rows:
                last = self.quotes.get(quote.instrument_id)
                if last is None or quote.ts > last.ts:
                    self.quote_updated(quote)
        if now >= self._next_interest:
            self._next_interest = now + INTEREST_EVERY
            wanted = {*self.quote_subs, *(iid for iid, _ in self.candle_subs)}
            if wanted:  # the feed keeps ticking what someone streams
                await database_sync_to_async(instruments_interest_note)(instrument_ids=wanted)

    async def _read_private(self) -> None:
        """New events of every connected user, in one query per round."""
        while self.by_user:
            after = {user: self.seen.get(user, 0) for user in self.by_user}
            events = await database_sync_to_async(stream_events_after_each)(after, limit=BACKLOG_LIMIT)
            if not events:
                return
            for user, mine in events.items():
                self.private_arrived(user, mine)
            if sum(len(mine) for mine in events.values()) < BACKLOG_LIMIT:
                return

    async def _recheck_loop(self) -> None:
        """Credentials checked again, and silent clients closed."""
        while True:
            await asyncio.sleep(min(settings.STREAM_RECHECK_SECONDS, settings.STREAM_PING_SECONDS))
            await self.recheck()

    async def recheck(self, user: int | None = None) -> None:
        now = time.monotonic()
        alive = []
        for conn in list(self.connections if user is None else self.by_user.get(user, ())):
            if now - conn.last_heard > 3 * settings.STREAM_PING_SECONDS:
                conn.end(protocol.HEARTBEAT_TIMEOUT, "Nothing heard from the client for too long.")
            else:
                alive.append(conn)
        if not alive:
            return
        try:
            verdicts = await database_sync_to_async(auth.recheck)([conn.credential for conn in alive])
        except Exception:
            logger.exception("could not check the stream's credentials again")
            return
        for conn, close in zip(alive, verdicts, strict=True):
            if close is not None:
                conn.end(close, "The connection's credential is no longer valid.")

    async def _ticks_loop(self) -> None:
        while True:
            try:
                client = aioredis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(TICKS_CHANNEL)
                    self._set_degraded(False)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            for row in json.loads(message["data"]):
                                self.tick(Tick.from_wire(row))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self.degraded:
                    logger.warning("the stream lost Redis (%s); quotes come from the database until it is back", exc)
                self._set_degraded(True)
                await asyncio.sleep(1)

    async def _layer_loop(self) -> None:
        layer = get_channel_layer()
        channel, joined = None, 0.0
        while True:
            try:
                if channel is None or time.monotonic() - joined > GROUP_RENEW_SECONDS:
                    channel = channel or await layer.new_channel()
                    await layer.group_add(STREAM_GROUP, channel)  # membership lapses after a day: renewed
                    joined = time.monotonic()
                with suppress(TimeoutError):
                    await self._on_message(await asyncio.wait_for(layer.receive(channel), GROUP_RENEW_SECONDS))
            except asyncio.CancelledError:
                raise
            except Exception:
                channel = None
                await asyncio.sleep(1)

    async def _on_message(self, message: dict) -> None:
        user = message.get("user")
        if user not in self.by_user:
            return
        if message.get("type") == "private.appended":
            events = [Written(*row) for row in message.get("events", ())]
            if events and events[0].seq == self.seen.get(user, 0) + 1:
                self.private_arrived(user, events)  # the usual case: no read at all
            else:  # a gap (a message lost, or this one came first): read the log
                self._dirty.add(user)
                self._poke.set()
        elif message.get("type") == "user.changed":
            await self.recheck(user)

    def _set_degraded(self, degraded: bool) -> None:
        if degraded == self.degraded:
            return
        self.degraded = degraded
        if not degraded:
            logger.info("the stream has Redis again")
        frame = protocol.encode({"op": "degraded" if degraded else "recovered"})
        for conn in self.connections:
            conn.push(frame)


def _events_since(user: int, after: int):
    """The user's events after `after`, or None if some of them are no longer kept."""
    heads = stream_heads([user])
    head = heads.get(user, 0)
    if after > head:
        return None
    events = stream_events_after(user_id=user, seq=after, limit=BACKLOG_LIMIT + 1)
    if len(events) > BACKLOG_LIMIT or (after < head and (not events or events[0].seq != after + 1)):
        return None
    return events


def _forming_candles(keys: list[tuple[int, str]]) -> list[tuple]:
    """The newest candle of each (instrument, interval)."""
    rows = []
    by_interval: dict[str, list[int]] = defaultdict(list)
    for iid, interval in keys:
        by_interval[interval].append(iid)
    for interval, ids in by_interval.items():
        latest = {}
        recent = Candle.objects.filter(instrument_id__in=ids, interval=interval).order_by("instrument_id", "-start")
        for c in recent.filter(start__gte=_recent_start(interval)):
            latest.setdefault(
                c.instrument_id, (c.instrument_id, interval, c.start, c.open, c.high, c.low, c.close, c.volume)
            )
        rows.extend(latest.values())
    return rows


def _recent_start(interval: str) -> datetime:
    return datetime.fromtimestamp(bucket_start(int(time.time()), interval), tz=UTC)


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """This process's hub (one per event loop: tests may run several servers)."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found
