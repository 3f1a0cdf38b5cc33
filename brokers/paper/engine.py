"""The paper exchange's matching engine: resting orders indexed by price, matched per tick.

It runs inside the feed process (registered as a feed consumer), so it sees
every tick synchronously. Resting orders live in four sorted books per
instrument (buy/sell limits, buy/sell stops) ordered so that the orders a
price move fills are always at the front: a tick costs O(log n) plus the
orders it actually fills, never a scan of every open order.

New, modified and cancelled orders reach it through PaperOrder rows marked
`engine_synced=False`, loaded a few times a second; a conditional update on
the row's version decides every race with a cancel or modification.
"""

import itertools
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from sortedcontainers import SortedKeyList

from marketdata import fills
from marketdata.bus import Tick, TickBus

from ..base import OrderType
from ..models import PaperOrder
from .exchange import LIVE, execute_fill, match_now

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Resting:
    order_id: int
    version: int
    side: str
    order_type: str
    price: Decimal | None
    trigger: Decimal | None
    seq: int


@dataclass
class Book:
    # Front of each list = the order the next price move reaches first.
    buy_limits: SortedKeyList = field(default_factory=lambda: SortedKeyList(key=lambda r: (-r.price, r.seq)))
    sell_limits: SortedKeyList = field(default_factory=lambda: SortedKeyList(key=lambda r: (r.price, r.seq)))
    buy_stops: SortedKeyList = field(default_factory=lambda: SortedKeyList(key=lambda r: (r.trigger, r.seq)))
    sell_stops: SortedKeyList = field(default_factory=lambda: SortedKeyList(key=lambda r: (-r.trigger, r.seq)))
    # MARKET orders accepted but not matched on arrival (their worker died): filled on the next tick.
    markets: SortedKeyList = field(default_factory=lambda: SortedKeyList(key=lambda r: r.seq))

    def __len__(self) -> int:
        return (
            len(self.buy_limits)
            + len(self.sell_limits)
            + len(self.buy_stops)
            + len(self.sell_stops)
            + len(self.markets)
        )


class MatchingEngine:
    def __init__(self, sync_interval: float = 0.1) -> None:
        self.books: dict[int, Book] = {}
        self.where: dict[int, tuple[SortedKeyList, Resting]] = {}
        self.sync_interval = sync_interval
        self._next_sync = 0.0
        self._seq = itertools.count()
        self.fills = 0

    # --- the index -------------------------------------------------------------------

    def add(self, po: PaperOrder) -> None:
        self.remove(po.id)
        if po.status not in LIVE:
            return
        book = self.books.setdefault(po.instrument_id, Book())
        entry = Resting(po.id, po.version, po.side, po.order_type, po.price, po.trigger_price, next(self._seq))
        buy = po.side == "BUY"
        if po.status == PaperOrder.Status.TRIGGER_PENDING:
            target = book.buy_stops if buy else book.sell_stops
        elif po.order_type in (OrderType.LIMIT, OrderType.SL):
            target = book.buy_limits if buy else book.sell_limits
        else:
            return  # MARKET orders are decided on arrival and never rest
        target.add(entry)
        self.where[po.id] = (target, entry)

    def remove(self, order_id: int) -> None:
        found = self.where.pop(order_id, None)
        if found:
            found[0].remove(found[1])

    def resting(self) -> int:
        return len(self.where)

    def load_all(self) -> None:
        for po in PaperOrder.objects.filter(status__in=LIVE):
            self.add(po)
        PaperOrder.objects.filter(engine_synced=False).exclude(status__in=LIVE).update(engine_synced=True)

    def sync(self) -> int:
        """Take in orders placed, modified or cancelled since the last sync."""
        changed = list(PaperOrder.objects.filter(engine_synced=False).order_by("id")[:5000])
        for po in changed:
            self.add(po)
            # Only mark what we saw: a row changed again meanwhile stays unsynced.
            PaperOrder.objects.filter(id=po.id, version=po.version).update(engine_synced=True)
        return len(changed)

    # --- ticks -------------------------------------------------------------------------

    def on_tick(self, tick: Tick) -> None:
        now = time.monotonic()
        if now >= self._next_sync:
            self._next_sync = now + self.sync_interval
            try:
                self.sync()
            except Exception:
                logger.exception("paper engine sync failed")
                connection.close()
        book = self.books.get(tick.instrument_id)
        if not book:
            return
        ltp = tick.ltp
        market = fills.Market(ltp=ltp, bid=tick.bid, ask=tick.ask)
        while book.buy_stops and fills.stop_triggered("BUY", book.buy_stops[0].trigger, ltp):
            self._trigger(book.buy_stops[0], market)
        while book.sell_stops and fills.stop_triggered("SELL", book.sell_stops[0].trigger, ltp):
            self._trigger(book.sell_stops[0], market)
        while book.buy_limits and fills.limit_crossed("BUY", book.buy_limits[0].price, ltp):
            self._fill_limit(book.buy_limits[0], ltp)
        while book.sell_limits and fills.limit_crossed("SELL", book.sell_limits[0].price, ltp):
            self._fill_limit(book.sell_limits[0], ltp)

    def _fill_limit(self, entry: Resting, ltp: Decimal) -> None:
        self.remove(entry.order_id)
        if execute_fill(entry.order_id, entry.version, fills.resting_limit_price(entry.side, entry.price, ltp)):
            self.fills += 1

    def _trigger(self, entry: Resting, market: fills.Market) -> None:
        self.remove(entry.order_id)
        po = PaperOrder.objects.select_related("instrument").filter(id=entry.order_id, version=entry.version).first()
        if po is None:
            return  # changed since we indexed it; the next sync brings the new version
        match_now(po, market)
        po.refresh_from_db()
        self.add(po)  # a triggered SL that is not marketable now rests as a limit


def start_engine(bus: TickBus):
    """Feed consumer: runs the engine on the feed's tick bus; returns its stop function."""
    engine = MatchingEngine()
    engine.load_all()
    logger.info("paper exchange engine started with %d resting orders", engine.resting())
    bus.subscribe(engine.on_tick)
    return lambda: bus.unsubscribe(engine.on_tick)
