"""Messages to the live stream's servers through Channels' channel layer, sent without making the sender wait.

Web requests and Celery tasks are synchronous, and the layer is asynchronous: one daemon thread per process
runs an event loop that sends what `push` hands it. The sender never waits for Redis; what it says is a
nudge (the data itself is in the database), so a message lost to a Redis outage only delays the stream
until its next look. On the embedded default there is no layer between processes and nothing is sent.
"""

import asyncio
import logging
import os
import threading

from channels.layers import get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)


class _Sender:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid = 0
        self._failing = False

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid():  # a forked worker starts its own
                self._loop, self._pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(target=self._loop.run_forever, name="stream-push", daemon=True).start()
            return self._loop

    def send(self, group: str, message: dict) -> None:
        asyncio.run_coroutine_threadsafe(self._send(group, message), self._running_loop())

    async def _send(self, group: str, message: dict) -> None:
        try:
            await get_channel_layer().group_send(group, message)
        except Exception as exc:
            if not self._failing:
                logger.warning("could not nudge the live stream (%s); it will catch up by looking", exc)
            self._failing = True
        else:
            self._failing = False


_sender = _Sender()

STREAM_GROUP = "stream"  # every stream server's hub listens to this channel-layer group


def push(group: str, message: dict) -> None:
    """Send `message` (with a "type") to a channel-layer group, in the background."""
    if settings.REDIS_URL:
        _sender.send(group, message)


def stream_nudge(kind: str, *, user_id: int, **extra) -> None:
    """Tell the stream servers about a user: "private.appended" (new events in the log, with `events`) or
    "user.changed" (credentials or standing changed: their connections are checked again at once)."""
    push(STREAM_GROUP, {"type": kind, "user": user_id, **extra})
