"""Simulated orders and when and at what price they fill within a bar.

The rules match the paper exchange, seen one bar at a time:

- MARKET: fills at the open of the next bar after the one it was placed on
  (the strategy decides on a completed bar; the next price it can get is the
  next open), plus slippage.
- LIMIT buy (sell): fills in the first bar whose low (high) reaches the limit,
  at the limit, or at the open when the bar opens beyond it (a gap in the
  trader's favour).
- SL-M buy (sell): triggers in the first bar whose high (low) reaches the
  trigger, and fills at the trigger, or at the open when the bar gaps through
  it; plus slippage.
- SL (stop-limit): triggers as SL-M, then is a LIMIT at its limit price. It
  fills at the trigger (or the open on a gap) when that is within the limit;
  otherwise it rests as a LIMIT.

Within one bar, MARKET orders are matched first (they trade at the open),
then stops, then limits: when a stop-loss and a target both lie inside one
bar's range, the loss is assumed to come first, the pessimistic reading.
A whole order fills at once (no partial fills).
"""

from dataclasses import dataclass
from decimal import Decimal

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

    def match(self, o: float, h: float, low: float) -> Decimal | None:
        """The price this order fills at in a bar with this open, high and low; None if it does not."""
        buy = self.side == BUY
        kind = self.order_type
        if kind == MARKET:
            return exact(o)
        if kind != LIMIT and not self.triggered:
            stop = self.stop_f
            if not (h >= stop if buy else low <= stop):
                return None
            self.triggered = True
            at = exact(o) if (o >= stop if buy else o <= stop) else self.stop
            if kind == SL_M or (at <= self.limit if buy else at >= self.limit):
                return at
        limit = self.limit_f
        if not (low <= limit if buy else h >= limit):
            return None
        return exact(o) if (o <= limit if buy else o >= limit) else self.limit
