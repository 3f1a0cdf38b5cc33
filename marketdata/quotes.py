"""The quote cache: a per-process L1 in front of the shared cache (L2), the database behind both.

- L1 is a TimedCache in this process with a very short TTL (QUOTES_L1_TTL_SECONDS).
  The feed process updates its own L1 on every flush; with Redis, other
  processes drop L1 entries when the feed announces new values on
  `marketdata:quotes` (invalidated by ticks), so the TTL only bounds the
  damage of a lost announcement.
- L2 is Django's default cache (Redis in production). A pybreaker circuit
  guards it: when Redis is down, one timeout opens the circuit and reads go
  straight to the database for a while, with one warning logged; freshness always comes
  from the quote's own timestamp.
- The database's Quote table is the last known value the feed wrote.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pybreaker
from django.conf import settings
from django.core.cache import cache

from core.cache import TimedCache

from . import metrics
from .ticks import QuoteRow

logger = logging.getLogger(__name__)

INVALIDATE_CHANNEL = settings.REDIS_PUBSUB_PREFIX + "marketdata:quotes"  # this installation's
L2_TIMEOUT = 24 * 3600  # what the feed writes stays as "last known" for a day
L2_BACKFILL_TIMEOUT = 2  # what a reader copies up from the database is soon re-read


# What the caches hold is exactly what the feed drained: an immutable QuoteRow.
CachedQuote = QuoteRow


def _key(instrument_id: int) -> str:
    return f"q:{instrument_id}"


class _L2Breaker(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            logger.warning("quote cache (L2) unavailable: serving quotes from the database, marked stale")
        elif new_state.name == pybreaker.STATE_CLOSED and old_state and old_state.name != pybreaker.STATE_CLOSED:
            logger.info("quote cache (L2) is back")


l2_breaker = pybreaker.CircuitBreaker(fail_max=1, reset_timeout=5, listeners=[_L2Breaker()], name="quotes-l2")

# L1: per process, for QUOTES_L1_TTL_SECONDS; with Redis, entries are dropped as soon as the feed announces newer ones.
_l1 = TimedCache(ttl=lambda: settings.QUOTES_L1_TTL_SECONDS, max_entries=20_000)
_listener_started = False
_listener_lock = threading.Lock()


def l1_clear() -> None:
    _l1.clear()


def _l1_put(quote: CachedQuote) -> None:
    _l1.put(quote.instrument_id, quote)


def _l2_shared() -> bool:
    """Only a shared cache is worth a round trip; a per-process one would just add staleness."""
    return bool(settings.REDIS_URL)


def _l2_available() -> bool:
    return _l2_shared() and l2_breaker.current_state != pybreaker.STATE_OPEN


def quotes_get(instrument_ids: list[int]) -> tuple[dict[int, CachedQuote], bool]:
    """Quotes for these instruments, and whether the shared cache was unavailable (degraded)."""
    _ensure_invalidation_listener()
    found, missing = _l1.split(instrument_ids)
    metrics.count(metrics.l1_hit, len(found))
    metrics.count(metrics.l1_miss, len(missing))
    if not missing:
        return found, False

    degraded = _l2_shared() and not _l2_available()
    if _l2_available():
        try:
            hits = l2_breaker.call(cache.get_many, [_key(iid) for iid in missing])
        except Exception:
            degraded, hits = True, {}
        for iid in list(missing):
            quote = hits.get(_key(iid))
            if quote is not None:
                found[iid] = quote
                _l1_put(quote)
                missing.remove(iid)
        metrics.count(metrics.l2_hit, len(hits))
        metrics.count(metrics.l2_miss, len(missing))
    if missing:
        from_db = _quotes_from_database(missing)
        found.update(from_db)
        for quote in from_db.values():
            _l1_put(quote)
        if from_db and _l2_available():
            try:
                l2_breaker.call(
                    cache.set_many, {_key(q.instrument_id): q for q in from_db.values()}, L2_BACKFILL_TIMEOUT
                )
            except Exception:
                degraded = True
    if degraded:
        # What L1 still holds after its TTL is better than nothing while Redis is down.
        for iid in instrument_ids:
            held = None if iid in found else _l1.get(iid, allow_expired=True)
            if held is not None:
                found[iid] = held
    return found, degraded


def _quotes_from_database(instrument_ids: list[int], *, after: float | None = None) -> dict[int, CachedQuote]:
    from .models import Quote

    out = {}
    rows = Quote.objects.filter(instrument_id__in=instrument_ids)
    if after is not None:
        rows = rows.filter(timestamp__gt=datetime.fromtimestamp(after, tz=UTC))
    for q in rows:
        out[q.instrument_id] = CachedQuote(
            q.instrument_id, q.ltp, q.bid, q.ask, q.open, q.high, q.low, q.close, q.volume, q.timestamp.timestamp()
        )
    return out


def quotes_written_after(instrument_ids: list[int], after: float) -> list[CachedQuote]:
    """The quotes the feed wrote to the database since `after` (epoch seconds): how a process that hears no
    relay (the embedded default has no Redis) follows them."""
    return list(_quotes_from_database(instrument_ids, after=after).values())


def quotes_publish(rows: list[QuoteRow], redis_client=None) -> bool:
    """The feed's side: new values into L1 and L2, and tell other processes. False if L2 failed."""
    quotes = list(rows)
    for quote in quotes:
        _l1_put(quote)
    ok = True
    if _l2_available():
        try:
            l2_breaker.call(cache.set_many, {_key(q.instrument_id): q for q in quotes}, L2_TIMEOUT)
        except Exception:
            ok = False
    if redis_client is not None and quotes:
        try:
            redis_client.publish(INVALIDATE_CHANNEL, ",".join(str(q.instrument_id) for q in quotes))
        except Exception:
            ok = False
    return ok


def _ensure_invalidation_listener() -> None:
    """With Redis, drop L1 entries as soon as the feed announces newer values."""
    global _listener_started
    if _listener_started or not settings.REDIS_URL:
        return
    with _listener_lock:
        if _listener_started:
            return
        _listener_started = True
        threading.Thread(target=_listen_invalidations, name="quote-invalidations", daemon=True).start()


def _listen_invalidations() -> None:
    import redis

    while True:
        try:
            client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=None, socket_connect_timeout=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(INVALIDATE_CHANNEL)
            for message in pubsub.listen():
                for raw in message["data"].split(b","):
                    _l1.discard(int(raw))
        except Exception:
            time.sleep(2)  # Redis is down: the TTL alone bounds staleness until it is back


def age_ms(quote: CachedQuote, now: float | None = None) -> int:
    return max(0, int(((now or time.time()) - quote.ts) * 1000))


def is_stale(quote: CachedQuote, now: float | None = None) -> bool:
    """Older than the threshold by the quote's own timestamp, wherever it was read from (cache or database)."""
    return age_ms(quote, now) > settings.QUOTES_STALE_AFTER_SECONDS * 1000


@dataclass(frozen=True, slots=True)
class QuoteView:
    """One instrument's quote as the API and dashboard show it; `quote` is None before its first tick."""

    exchange: str
    symbol: str
    price_places: int
    quote: CachedQuote | None
    now: float

    ltp = property(lambda self: self._field("ltp"))
    bid = property(lambda self: self._field("bid"))
    ask = property(lambda self: self._field("ask"))
    open = property(lambda self: self._field("open"))
    high = property(lambda self: self._field("high"))
    low = property(lambda self: self._field("low"))
    close = property(lambda self: self._field("close"))
    volume = property(lambda self: self._field("volume") or 0)

    def _field(self, name: str):
        return None if self.quote is None else getattr(self.quote, name)

    @property
    def change(self) -> Decimal | None:
        return self.ltp - self.close if self.quote is not None and self.close else None

    @property
    def change_percent(self) -> Decimal | None:
        change = self.change
        return None if change is None else (change * 100 / self.close).quantize(Decimal("0.01"))

    @property
    def timestamp(self) -> datetime | None:
        return None if self.quote is None else datetime.fromtimestamp(self.quote.ts, tz=UTC)

    @property
    def age_ms(self) -> int | None:
        return None if self.quote is None else age_ms(self.quote, self.now)

    @property
    def stale(self) -> bool:
        return self.quote is None or is_stale(self.quote, self.now)
