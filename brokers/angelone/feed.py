"""`run_feed --source angelone`: live ticks from Angel One's WebSocket 2.0 feed.

Up to three connections (the broker's limit per client), each with its share
of the subscribed tokens. Each connection lives in its own thread: it sends
the text `ping` every few seconds, turns binary packets into ticks, and on any
failure reconnects with exponential backoff and jitter and subscribes again.
The feed runner drains the ticks a few times a second into the same pipeline
the simulated feed uses.
"""

import json
import logging
import queue
import random
import threading
import time
import uuid

from django.conf import settings
from django.db import close_old_connections, connection
from websockets.sync.client import connect

from marketdata.bus import Tick
from marketdata.models import Instrument

from ..models import BrokerAccount
from . import packets
from .adapter import client_for

logger = logging.getLogger("marketdata.feed")
MAX_CONNECTIONS = 3


def feed_account() -> BrokerAccount:
    accounts = BrokerAccount.objects.filter(broker="angelone").exclude(status=BrokerAccount.Status.DISCONNECTED)
    if settings.ANGELONE_FEED_CLIENT_CODE:
        accounts = accounts.filter(client_code=settings.ANGELONE_FEED_CLIENT_CODE)
    account = accounts.order_by("id").first()
    if account is None:
        from core.errors import NotFound

        raise NotFound("No connected Angel One account for the feed (see ANGELONE_FEED_CLIENT_CODE).")
    return account


def angelone_feed_source(options: dict) -> "AngelOneFeedSource":
    return AngelOneFeedSource(feed_account())


class AngelOneFeedSource:
    name = "angelone"
    step_seconds = 0.05

    def __init__(self, account: BrokerAccount, *, mode: int = packets.SNAP_QUOTE, url: str | None = None) -> None:
        self.account = account
        self.mode = mode
        self.url = url or settings.ANGELONE_FEED_WS_URL
        self.ticks: queue.SimpleQueue[Tick] = queue.SimpleQueue()
        self.instruments: dict[tuple[int, str], int] = {}  # (exchange type, token) -> instrument id
        self.connections: list[FeedConnection] = []

    def subscribe(self, instrument_ids: set[int]) -> None:
        rows = Instrument.objects.filter(id__in=instrument_ids).values_list("id", "exchange", "token")
        wanted = {
            (packets.EXCHANGE_TYPES[exchange], token): pk
            for pk, exchange, token in rows
            if exchange in packets.EXCHANGE_TYPES
        }
        self.instruments = wanted
        per_connection = settings.ANGELONE_WS_TOKENS_PER_CONNECTION
        keys = sorted(wanted)
        if len(keys) > per_connection * MAX_CONNECTIONS:
            logger.warning("angelone feed: %d instruments, only %d fit", len(keys), per_connection * MAX_CONNECTIONS)
            keys = keys[: per_connection * MAX_CONNECTIONS]
        shares = [keys[i : i + per_connection] for i in range(0, len(keys), per_connection)]
        while len(self.connections) < len(shares):
            conn = FeedConnection(self, len(self.connections))
            self.connections.append(conn)
            conn.start()
        for index, conn in enumerate(self.connections):
            conn.want(set(shares[index]) if index < len(shares) else set())

    def credentials(self) -> dict[str, str]:
        client = client_for(self.account)
        session = client.sessions.current()
        return {
            "Authorization": f"Bearer {session.jwt}",
            "x-api-key": client.account.api_key,
            "x-client-code": client.account.client_code,
            "x-feed-token": session.feed,
        }

    def on_packet(self, data: bytes) -> None:
        try:
            packet = packets.parse(data)
        except packets.PacketError as exc:
            logger.warning("angelone feed: dropped a packet: %s", exc)
            return
        pk = self.instruments.get((packet.exchange_type, packet.token))
        if pk is None:
            return
        ts = packet.exchange_time_ms / 1000 if packet.exchange_time_ms > 0 else time.time()
        self.ticks.put(Tick(pk, packet.ltp, ts, packet.last_quantity, packet.bid, packet.ask))

    def next_ticks(self, now: float) -> list[Tick]:
        out = []
        while True:
            try:
                out.append(self.ticks.get_nowait())
            except queue.Empty:
                return out

    def close(self) -> None:
        for conn in self.connections:
            conn.stop()
        for conn in self.connections:
            conn.join(timeout=5)


class FeedConnection(threading.Thread):
    """One WebSocket connection and its share of the subscriptions."""

    def __init__(self, source: AngelOneFeedSource, index: int) -> None:
        super().__init__(name=f"angelone-feed-{index}", daemon=True)
        self.source = source
        self.index = index
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.wanted: set[tuple[int, str]] = set()
        self.connects = 0

    def want(self, keys: set[tuple[int, str]]) -> None:
        with self.lock:
            self.wanted = keys

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                headers = self.source.credentials()
                with connect(self.source.url, additional_headers=headers, open_timeout=5, ping_interval=None) as ws:
                    self.connects += 1
                    logger.info("angelone feed connection %d up", self.index)
                    backoff = 0.5
                    self._serve(ws)
            except Exception as exc:
                if self.stopping.is_set():
                    break
                delay = random.uniform(backoff / 2, backoff)  # noqa: S311 - reconnect jitter, not a secret
                logger.warning("angelone feed connection %d lost (%s); again in %.1f s", self.index, exc, delay)
                self.stopping.wait(delay)
                backoff = min(backoff * 2, 30.0)
            finally:
                close_old_connections()
        connection.close()

    def _serve(self, ws) -> None:
        subscribed: set[tuple[int, str]] = set()
        ping_every = settings.ANGELONE_WS_PING_SECONDS
        next_ping = time.monotonic() + ping_every
        last_heard = time.monotonic()
        while not self.stopping.is_set():
            subscribed = self._sync(ws, subscribed)
            now = time.monotonic()
            if now >= next_ping:
                ws.send("ping")
                next_ping = now + ping_every
            if now - last_heard > 3 * ping_every:
                raise ConnectionError("no pong or data for three heartbeats")
            try:
                message = ws.recv(timeout=0.2)
            except TimeoutError:
                continue
            last_heard = time.monotonic()
            if isinstance(message, bytes):
                self.source.on_packet(message)

    def _sync(self, ws, subscribed: set[tuple[int, str]]) -> set[tuple[int, str]]:
        with self.lock:
            wanted = set(self.wanted)
        for action, keys in ((1, wanted - subscribed), (0, subscribed - wanted)):
            if keys:
                ws.send(json.dumps(_subscription(action, self.source.mode, keys)))
        return wanted


def _subscription(action: int, mode: int, keys: set[tuple[int, str]]) -> dict:
    by_type: dict[int, list[str]] = {}
    for exchange_type, token in sorted(keys):
        by_type.setdefault(exchange_type, []).append(token)
    return {
        "correlationID": uuid.uuid4().hex[:10],
        "action": action,
        "params": {"mode": mode, "tokenList": [{"exchangeType": t, "tokens": v} for t, v in by_type.items()]},
    }
