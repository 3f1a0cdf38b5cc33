"""The top bar every dashboard page shows: paper or live, HALTED or REDUCING, the market data feed and the
market's state.

A context processor, so pages added later get it for free. It runs on every
render, partials included, so it is lazy (nothing is read unless a template
uses `trading_status`) and cheap: the account comes from accounts' few-second
cache, the feed's heartbeat is remembered for two seconds, the market state is
arithmetic on the clock, and the trading state is two small reads (the platform's
switch and the account's state), never cached: a halt must show at once.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from accounts.chosen import request_account
from core import clock
from core.cache import TimedCache
from marketdata import market_hours
from marketdata.models import FeedStatus
from risk.models import TradingState
from risk.profiles import trading_state_shown

SHOWN_EXCHANGES = ("NSE", "NFO")
FEED_OFF_AFTER_SECONDS = 600  # no heartbeat for this long: no feed is running
SOURCE_LABELS = {"simulated": "Simulated", "replay": "Replay"}  # anything else is a real broker's feed

_feeds = TimedCache(ttl=2.0, max_entries=4)


@dataclass(frozen=True)
class FeedBadge:
    source: str  # simulated, replay, live, none
    label: str
    state: str  # live, stale, off
    freshness: str  # "0.4 s ago", or what is wrong


@dataclass(frozen=True)
class MarketBadge:
    exchange: str
    state: str  # open, pre-open, closed, holiday


@dataclass(frozen=True)
class TradingStatus:
    mode: str  # paper, live, none (no trading account yet)
    always_open: bool
    feed: FeedBadge
    markets: tuple[MarketBadge, ...]
    risk_state: str = TradingState.ACTIVE  # ACTIVE, REDUCING (orders that reduce only), HALTED (cancels only)
    risk_reason: str = ""

    @property
    def is_live(self) -> bool:
        return self.mode == "live"


def _latest_heartbeat() -> tuple[str, datetime, datetime | None] | None:
    row = FeedStatus.objects.order_by("-heartbeat_at").values_list("source", "heartbeat_at", "last_tick_at").first()
    return tuple(row) if row else None


def _age_text(seconds: float) -> str:
    if seconds < 10:
        return f"{max(seconds, 0):.1f} s ago"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


def feed_badge(now: datetime) -> FeedBadge:
    beat = _feeds.get_or_set("latest", _latest_heartbeat)
    if beat is None or (now - beat[1]).total_seconds() > FEED_OFF_AFTER_SECONDS:
        return FeedBadge("none", "No feed", "off", "no market data feed is running")
    source, heartbeat_at, last_tick_at = beat
    kind = source if source in SOURCE_LABELS else "live"
    label = SOURCE_LABELS.get(source, "Live")
    if last_tick_at is None:
        return FeedBadge(kind, label, "stale", "no tick yet")
    age = (now - last_tick_at).total_seconds()
    silent = age > settings.QUOTES_STALE_AFTER_SECONDS or (now - heartbeat_at).total_seconds() > 10
    return FeedBadge(kind, label, "stale" if silent else "live", f"last tick {_age_text(age)}")


def trading_status_for(account) -> TradingStatus:
    now = clock.now()
    markets = tuple(MarketBadge(e, market_hours.session_state(e, now)) for e in SHOWN_EXCHANGES)
    risk_state, risk_reason = trading_state_shown(account.id) if account else (TradingState.ACTIVE, "")
    return TradingStatus(
        mode=account.mode if account else "none",
        always_open=bool(account and account.always_open and account.mode == account.Mode.PAPER),
        feed=feed_badge(now),
        markets=markets,
        risk_state=risk_state,
        risk_reason=risk_reason,
    )


def trading_status(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"trading_status": SimpleLazyObject(lambda: trading_status_for(request_account(request)))}


def feed_cache_clear() -> None:
    _feeds.clear()
