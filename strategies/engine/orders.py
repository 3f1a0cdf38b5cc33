"""Simulated orders and when and at what price they fill within a bar.

The rules are the paper exchange's (marketdata/fills.py, shared by both), with
a bar read as prices the order meets in turn:

- the bar's open: an order placed on the bar before arrives there (the
  strategy decides on a completed bar; the next price it can get is the next
  open), so a MARKET order fills at the open plus slippage and a LIMIT order
  beyond the open fills at the open (a gap in the trader's favour); an order
  that has been resting since earlier bars fills at its own price when the
  open is through it, as a resting order does on a tick that jumps past it;
- then the bar's range: a bar moves continuously from its open, so a stop or
  limit level inside its range is met at that level (SL-M fills at its
  trigger plus slippage, SL at its trigger when within its limit, else it
  rests as a LIMIT; LIMIT at its limit).

Within one bar, MARKET orders are matched first (they trade at the open),
then stops, then limits: when a stop-loss and a target both lie inside one
bar's range, the loss is assumed to come first, the pessimistic reading.
A whole order fills at once (no partial fills).
"""

from dataclasses import dataclass
from decimal import Decimal

from marketdata import fills
from orders.models import OrderStatus, OrderType, Side

from .data import exact

BUY, SELL = Side.BUY.value, Side.SELL.value
MARKET, LIMIT, SL, SL_M = OrderType.MARKET.value, OrderType.LIMIT.value, OrderType.SL.value, OrderType.SL_M.value
OPEN, FILLED, CANCELLED, REJECTED = (
    OrderStatus.OPEN.value,
    OrderStatus.FILLED.value,
    OrderStatus.CANCELLED.value,
    OrderStatus.REJECTED.value,
)
MATCH_ORDER = {MARKET: 0, SL_M: 1, SL: 1, LIMIT: 2}


@dataclass(eq=False, slots=True)
class SimOrder:
    id: int
    side: str
    quantity: int | None  # None: sized by the run's sizing rule (or the whole position when reduce_only)
    order_type: str
    limit: Decimal | None
    stop: Decimal | None
    reduce_only: bool
    tag: str
    placed_index: int
    status: str = OPEN
    triggered: bool = False
    filled_quantity: int = 0
    fill_price: Decimal | None = None
    reason: str = ""
    # Bars hold floats: compared with the float of the same decimal, a high of 100.1 reaches a stop
    # at 100.1 (compared with the Decimal itself it would fall short by the float's rounding).
    limit_f: float = 0.0
    stop_f: float = 0.0

    def __post_init__(self) -> None:
        self.limit_f = float(self.limit) if self.limit is not None else 0.0
        self.stop_f = float(self.stop) if self.stop is not None else 0.0

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def match(
        self, o: float, h: float, low: float, *, arriving: bool, tick: Decimal | None, slippage: fills.Slippage
    ) -> Decimal | None:
        """The price this order fills at in a bar with this open, high and low; None if it does not."""
        if self._reaches(o):
            price = self._meet(exact(o), arriving, tick, slippage)
            if price is not None:
                return price
        buy = self.side == BUY
        if self.order_type in fills.STOPS and not self.triggered:
            if not fills.stop_triggered(self.side, self.stop_f, h if buy else low):
                return None
            price = self._meet(self.stop, False, tick, slippage)
            if price is not None:
                return price
        if not fills.limit_crossed(self.side, self.limit_f, low if buy else h):
            return None
        return self._meet(self.limit, False, tick, slippage)

    def _reaches(self, price: float) -> bool:
        if self.order_type == MARKET:
            return True
        if self.order_type in fills.STOPS and not self.triggered:
            return fills.stop_triggered(self.side, self.stop_f, price)
        return fills.limit_crossed(self.side, self.limit_f, price)

    def _meet(self, price: Decimal, arriving: bool, tick: Decimal | None, slippage: fills.Slippage) -> Decimal | None:
        outcome = fills.meet(
            order_type=self.order_type,
            side=self.side,
            limit=self.limit,
            trigger=self.stop,
            triggered=self.triggered,
            arriving=arriving,
            market=fills.Market(ltp=price),
            tick=tick,
            slippage=slippage,
        )
        self.triggered = not outcome.waiting
        return outcome.price
