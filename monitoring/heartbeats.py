"""Heartbeats of the background processes (Celery worker and beat), read by /health/ready.

Each process writes `heartbeat:<kind>` = {"at": epoch seconds, "host": ...}
every HEALTH_HEARTBEAT_INTERVAL_SECONDS into the cache every process shares:
Redis when configured, otherwise a file-based cache under TRADING_VAR_DIR (the
local-memory cache of the embedded default is private to each process). The
newest heartbeat of a kind counts: one live worker is enough.
"""

import logging
import os
import socket
import time

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings
from django.core.cache import caches

from core import clock

logger = logging.getLogger(__name__)
WORKER, BEAT = "worker", "beat"


def _store():
    return caches[settings.HEALTH_HEARTBEAT_CACHE]


def heartbeat_write(kind: str, *, host: str | None = None, at: float | None = None) -> None:
    host = host or f"{socket.gethostname()}:{os.getpid()}"
    value = {"at": clock.now().timestamp() if at is None else at, "host": host}
    # Kept a while past staleness, so a dead process is reported as stale rather than as never seen.
    _store().set(f"heartbeat:{kind}", value, timeout=settings.HEALTH_HEARTBEAT_STALE_SECONDS * 10)


def heartbeat_write_quietly(kind: str, **kwargs) -> None:
    """From a timer: a cache that is down must not stop the process; the health check will say so."""
    try:
        heartbeat_write(kind, **kwargs)
    except Exception:
        logger.warning("could not write the %s heartbeat", kind, exc_info=True)


def heartbeat_check(kind: str) -> str:
    beat = _store().get(f"heartbeat:{kind}")
    if beat is None:
        raise RuntimeError(f"no {kind} heartbeat seen (is a {kind} process running?)")
    age = clock.now().timestamp() - beat["at"]
    detail = f"{beat['host']}, {age:.1f} s ago"
    if age > settings.HEALTH_HEARTBEAT_STALE_SECONDS:
        raise RuntimeError(f"stale: {detail} (limit {settings.HEALTH_HEARTBEAT_STALE_SECONDS:g} s)")
    return detail


def worker_check() -> str:
    return heartbeat_check(WORKER)


def beat_check() -> str:
    return heartbeat_check(BEAT)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A consumer bootstep: the worker's own timer writes the heartbeat, so it stops when the consumer does."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent) -> None:
        host = parent.hostname
        heartbeat_write_quietly(WORKER, host=host)
        self.tref = parent.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_INTERVAL_SECONDS, heartbeat_write_quietly, (WORKER,), {"host": host}
        )

    def stop(self, parent) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler, writing the beat heartbeat as it ticks."""

    _last_beat = 0.0

    def tick(self, *args, **kwargs) -> float:
        interval = settings.HEALTH_HEARTBEAT_INTERVAL_SECONDS
        if time.monotonic() - self._last_beat >= interval:
            heartbeat_write_quietly(BEAT)
            self._last_beat = time.monotonic()
        # Wake up at least once per interval even when no task is due for longer.
        return min(super().tick(*args, **kwargs), interval)
