"""One WebSocket connection to /ws/v1/stream/: the protocol of docs/api.md#the-live-stream.

Frames out wait in two places: private events and control messages in order (`_queue`, bounded: a client
too far behind is told to resync), market data coalesced by topic (`_latest`: the newest frame per topic).
One writer task sends them; while a slow client's socket is full, new quotes replace older ones instead of
piling up.
"""

import asyncio
import logging
import time
from collections import deque

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from . import auth, protocol
from .hub import BACKLOG_LIMIT, hub
from .protocol import BadMessage
from .topics import resolve

logger = logging.getLogger(__name__)

MESSAGES_PER_WINDOW, WINDOW_SECONDS = 60, 10  # the client's messages; more are refused
ERRORS_BEFORE_CLOSE = 20
PING = protocol.encode({"op": "ping"})


class StreamConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = "none"  # the hub listens to the layer once for the process, not each socket

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.credential: auth.Credential | None = None
        self.quote_topics, self.candle_topics, self.private_topics = {}, {}, {}
        self.cursor = 0
        self.last_heard = time.monotonic()
        self._queue: deque[str] = deque()
        self._latest: dict[str, str] = {}
        self._wake = asyncio.Event()
        self._errors = 0
        self._window, self._in_window = time.monotonic(), 0
        self._closing: protocol.Close | None = None
        self._writer: asyncio.Task | None = None
        self._auth_timer: asyncio.TimerHandle | None = None
        self._batched = False

    async def connect(self) -> None:
        self._batched = protocol.BATCHED in self.scope.get("subprotocols", ())
        await self.accept(subprotocol=protocol.BATCHED if self._batched else None)
        user, session = self.scope.get("user"), self.scope.get("session")
        if user is not None and user.is_authenticated and session is not None and self._same_site():
            await self._start(await database_sync_to_async(auth.from_session)(user, session.session_key))
        else:
            loop = asyncio.get_running_loop()
            self._auth_timer = loop.call_later(settings.STREAM_AUTH_SECONDS, self._auth_late)

    def _same_site(self) -> bool:
        """A session cookie counts only from a page of this site's hosts (cross-site WebSocket hijacking)."""
        origin = dict(self.scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        host = origin.partition("://")[2]
        domain, _port = split_domain_port(host)
        return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)

    def _auth_late(self) -> None:
        if self.credential is None:
            self.end(protocol.AUTH_TIMEOUT, f"Authenticate within {settings.STREAM_AUTH_SECONDS} s.")

    async def _start(self, credential: auth.Credential) -> None:
        self.credential = credential
        if self._auth_timer is not None:
            self._auth_timer.cancel()
        refused = await hub().join(self)
        if refused is not None:
            self.credential = None
            limit = settings.STREAM_MAX_CONNECTIONS_PER_USER
            self.end(refused, f"At most {limit} stream connections per user.")
            return
        self._writer = asyncio.create_task(self._write())
        self.push(protocol.encode({"op": "authenticated", "user": credential.username, "seq": self.cursor}))

    async def disconnect(self, code) -> None:
        if self._auth_timer is not None:
            self._auth_timer.cancel()
        if self.credential is not None:
            hub().leave(self)
        if self._writer is not None:
            self._writer.cancel()

    # --- what the client says -----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None) -> None:
        self.last_heard = time.monotonic()
        try:
            self._count()
            message = protocol.parse(text_data, bytes_data)
            await getattr(self, "_op_" + message["op"])(message)
        except BadMessage as exc:
            await self._refuse(exc)

    def _count(self) -> None:
        now = time.monotonic()
        if now - self._window > WINDOW_SECONDS:
            self._window, self._in_window = now, 0
        self._in_window += 1
        if self._in_window > MESSAGES_PER_WINDOW:
            raise BadMessage(protocol.RATE_LIMITED, f"At most {MESSAGES_PER_WINDOW} messages per {WINDOW_SECONDS} s.")

    async def _refuse(self, exc: BadMessage) -> None:
        self._errors += 1
        frame = protocol.error(exc.code, exc.message, exc.topic)
        if self.credential is None:
            await self._send_now(frame)  # no writer yet
        else:
            self.push(frame)
        if self._errors >= ERRORS_BEFORE_CLOSE:
            self.end(protocol.TOO_MANY_ERRORS, "Too many bad messages.")

    async def _op_auth(self, message: dict) -> None:
        if self.credential is not None:
            raise BadMessage(protocol.ALREADY_AUTHENTICATED, "This connection is authenticated already.")
        ip = (self.scope.get("client") or ("", 0))[0]
        try:
            credential = await database_sync_to_async(auth.from_token)(message["token"], ip=ip)
        except auth.Refused as exc:
            await self._send_now(protocol.error(protocol.AUTH_FAILED, exc.message))
            self.end(exc.close, exc.message)
            return
        await self._start(credential)

    def _authenticated(self) -> None:
        if self.credential is None:
            raise BadMessage(protocol.AUTH_REQUIRED, 'Send {"op": "auth", "token": ...} first.')

    async def _op_subscribe(self, message: dict) -> None:
        self._authenticated()
        topics, errors = await database_sync_to_async(resolve)(message["topics"], credential=self.credential)
        market = [t for t in topics if t.kind != "private" and t.name not in self._market_names()]
        room = settings.STREAM_MAX_SYMBOLS - len(self.quote_topics) - len(self.candle_topics)
        for topic in market[max(room, 0) :]:
            limit = settings.STREAM_MAX_SYMBOLS
            errors.append(BadMessage(protocol.TOO_MANY_SUBSCRIPTIONS, f"At most {limit} market topics.", topic.name))
        market = market[: max(room, 0)]
        private = [t for t in topics if t.kind == "private"]
        for topic in private:
            self.private_topics.setdefault(topic.name.partition(":")[0], set()).add(topic.account_id)
        for exc in errors:
            await self._refuse(exc)
        accepted = [t.name for t in private] + [t.name for t in market]
        if not accepted:
            return
        self.push(protocol.encode({"op": "subscribed", "topics": accepted}))
        await hub().watch(self, market)
        resume_from = message.get("resume_from")
        if private and resume_from is not None and not await hub().resume(self, resume_from):
            self.push(_resync(f"Events after #{resume_from} are no longer kept."))

    def _market_names(self) -> set[str]:
        return set(self.quote_topics.values()) | set(self.candle_topics.values())

    async def _op_unsubscribe(self, message: dict) -> None:
        self._authenticated()
        names = set(message["topics"])
        hub().unwatch(self, names)
        for name in names:
            base, _, account = name.partition(":")
            accounts = self.private_topics.get(base)
            if accounts is not None and (name == base or account.isdigit()):
                accounts.discard(int(account) if account else None)
                if not accounts:
                    del self.private_topics[base]
        self.push(protocol.encode({"op": "unsubscribed", "topics": sorted(names)}))

    async def _op_ping(self, message: dict) -> None:
        frame = protocol.encode({"op": "pong"})
        if self.credential is None:
            await self._send_now(frame)
        else:
            self.push(frame)

    async def _op_pong(self, message: dict) -> None:
        return None  # last_heard is enough

    # --- what the server says (the hub calls these) --------------------------------------------------

    def offer(self, topic: str, frame: str) -> None:
        self._latest[topic] = frame
        self._wake.set()

    def push(self, frame: str) -> None:
        if len(self._queue) >= BACKLOG_LIMIT:
            self._queue.clear()
            self._queue.append(_resync("The connection fell too far behind."))
        else:
            self._queue.append(frame)
        self._wake.set()

    def end(self, close: protocol.Close, message: str) -> None:
        if self._closing is not None:
            return
        self._closing = close
        self._wake.set()  # the writer stops
        asyncio.get_running_loop().create_task(self._end(close, message))

    async def _end(self, close: protocol.Close, message: str) -> None:
        try:
            await self._send_now(protocol.encode({"op": "closing", "code": close.reason, "message": message}))
            await self.close(code=close.code, reason=close.reason)
        except Exception:
            logger.debug("the client went first")

    async def _write(self) -> None:
        """Send what waits, and a ping every STREAM_PING_SECONDS however busy the connection is (the client's
        pong is how the server knows it is still there)."""
        # A timer wakes the writer for the ping (not asyncio.wait_for on each wake: that makes a task per
        # frame, a sixth of the server's CPU with a thousand clients).
        interval = settings.STREAM_PING_SECONDS
        loop = asyncio.get_running_loop()
        ping_due = False

        def ping() -> None:
            nonlocal ping_due, timer
            ping_due = True
            self._wake.set()
            timer = loop.call_later(interval, ping)

        timer = loop.call_later(interval, ping)
        try:
            while self._closing is None:
                await self._wake.wait()
                self._wake.clear()
                if ping_due:
                    ping_due = False
                    self._queue.append(PING)
                try:
                    await self._send_waiting()
                except OSError:  # uvicorn's ClientDisconnected: the client went (a page left) with frames waiting
                    logger.debug("the client went before its frames")
                    return
        finally:
            timer.cancel()

    async def _send_waiting(self) -> None:
        while self._queue or self._latest:
            if self._batched:
                await self.send(text_data=self._take_all())
                continue
            # Private events and control first, in order; then the newest frame of each market topic.
            frame = self._queue.popleft() if self._queue else self._latest.pop(next(iter(self._latest)))
            await self.send(text_data=frame)

    async def _send_now(self, frame: str) -> None:
        """One message at once, past the queue (before authentication, and the last words before a close)."""
        await self.send(text_data=f"[{frame}]" if self._batched else frame)

    def _take_all(self) -> str:
        """Everything waiting, as one JSON array (the batched subprotocol): one frame instead of one each."""
        frames = [*self._queue, *self._latest.values()]
        self._queue.clear()
        self._latest.clear()
        return "[" + ",".join(frames) + "]"


def _resync(message: str) -> str:
    return protocol.encode({"op": "resync", "message": message, "topics": ["orders", "positions", "funds", "notices"]})
