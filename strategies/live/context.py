"""The live side of the Context: the same interface the backtester gives a strategy, with orders
placed through orders.services.order_place (validation, risk checks, funds) tagged with the run.

Each order carries a client_order_id made from what caused it (the bar, or the fill, and its
place among that callback's orders): a bar or fill seen again after a restart asks for the
same order again and gets the first one back, never a second order.
"""

from collections import deque
from datetime import datetime
from decimal import Decimal

from core.errors import DomainError
from orders import services as order_services
from orders.models import TERMINAL, Order, OrderType, Side, Validity
from orders.validation import OrderParams
from strategies.base import Context, LookaheadError
from strategies.engine.context import Bar, _round_to_tick
from strategies.engine.data import FIELDS
from strategies.indicators import INDICATORS, Indicator, to_micro
from strategies.positions import VirtualPosition

HISTORY = 2000  # bars kept for history() and bar_ago()


class LiveContext(Context):
    def __init__(self, run, instrument, position: VirtualPosition) -> None:
        self._run = run  # strategies.live.runner.LiveRun
        self.instrument = instrument
        self.symbol = instrument.key
        self.lot_size = instrument.lot_size
        self.tick_size = instrument.tick_size
        self.vposition = position
        self.bar = Bar(self.symbol)
        self.rows: deque = deque(maxlen=HISTORY)
        self.indicators: list[Indicator] = []
        self.strategy = None
        self.cause = ""  # what the orders placed now answer to: "b<epoch>" or "f<trade id>"
        self.placed_in_cause = 0

    # --- account -----------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self.vposition.quantity

    @property
    def avg_price(self) -> Decimal | None:
        return self.vposition.avg_price if self.vposition.quantity else None

    @property
    def cash(self) -> Decimal:
        return self._run.available_funds()

    @property
    def equity(self) -> Decimal:
        return self.cash + self._run.positions_value()

    @property
    def now(self) -> datetime:
        return self.bar.time

    @property
    def last_price(self) -> Decimal | None:
        return Decimal(repr(self.bar.close)) if self.bar.index >= 0 else None

    # --- orders ------------------------------------------------------------------------
    def buy(self, quantity=None, *, limit=None, stop=None, reduce_only=False, tag=""):
        return self._place(Side.BUY, quantity, limit, stop, reduce_only, tag)

    def sell(self, quantity=None, *, limit=None, stop=None, reduce_only=False, tag=""):
        return self._place(Side.SELL, quantity, limit, stop, reduce_only, tag)

    def close(self, *, tag=""):
        held = self.vposition.quantity
        if not held:
            return None
        return self._place(Side.SELL if held > 0 else Side.BUY, None, None, None, True, tag)

    def cancel(self, order) -> bool:
        if order is None or order.status in TERMINAL:
            return False
        try:
            order_services.order_cancel(
                user=self._run.row.user,
                order=order,
                reason="Cancelled by the strategy",
                actor=f"strategy:{self._run.row.tag}",
            )
        except DomainError:
            return False
        return True

    def cancel_all(self) -> int:
        return sum(self.cancel(order) for order in self.open_orders)

    @property
    def open_orders(self) -> list:
        return list(self._run.orders_for(self.instrument).exclude(status__in=TERMINAL))

    def _place(self, side, quantity, limit, stop, reduce_only, tag):
        if self._run.warming_up:
            return None  # bars already seen (or missed while no runner watched) only warm the strategy up
        quantity = self._quantity(side, quantity, reduce_only)
        if not quantity:
            return None
        params = self._params(side, quantity, limit, stop)
        self.placed_in_cause += 1
        key = f"{self._run.row.tag}:{self.instrument.id}:{self.cause}:{self.placed_in_cause}"
        return self._run.place(self, params, key=key, tag=str(tag)[:40], reduce_only=bool(reduce_only))

    def _quantity(self, side, quantity, reduce_only) -> int:
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0):
            raise ValueError(f"quantity must be a positive whole number, got {quantity!r}")
        if reduce_only:
            held = self.vposition.quantity
            if not held or (held > 0) == (side == Side.BUY):
                return 0
            return abs(held) if quantity is None else min(quantity, abs(held))
        if quantity is None:
            price = self.last_price
            sized = self._run.sizing.quantity(equity=self.equity, price=price or Decimal(0), lot_size=self.lot_size)
            if sized <= 0:
                self.log("sizing gives no whole lot: no order")
            return max(sized, 0)
        return quantity

    def _params(self, side, quantity, limit, stop) -> OrderParams:
        tick = self.tick_size
        limit_price = None if limit is None else _round_to_tick(limit, tick, "limit")
        stop_price = None if stop is None else _round_to_tick(stop, tick, "stop")
        if stop_price is not None:
            kind = OrderType.SL if limit_price is not None else OrderType.SL_M
        else:
            kind = OrderType.LIMIT if limit_price is not None else OrderType.MARKET
        return OrderParams(
            side=side,
            quantity=quantity,
            order_type=kind,
            product=self._run.row.product,
            validity=Validity.DAY,
            price=limit_price,
            trigger_price=stop_price,
        )

    # --- data --------------------------------------------------------------------------
    def feed(self, row: tuple) -> None:
        """A closed bar: (open, high, low, close, volume, epoch, close in millionths)."""
        self.rows.append(row)
        self.bar._row = row
        self.bar.index += 1
        for made in self.indicators:
            value = row[FIELDS.index(made.source)]
            made.update(to_micro(value) if made.exact else value)

    def indicator(self, kind: str, period: int, source: str | None = None) -> Indicator:
        try:
            cls = INDICATORS[kind]
        except KeyError:
            raise ValueError(f"unknown indicator {kind!r}; known: {', '.join(INDICATORS)}") from None
        made = cls(period) if source is None else cls(period, source)
        self.indicators.append(made)
        return made

    def history(self, field: str, count: int) -> list[float]:
        if field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}")
        k = FIELDS.index(field)
        return [row[k] for row in list(self.rows)[-count:]] if count > 0 else []

    def bar_ago(self, bars: int) -> dict:
        if bars < 0:
            raise LookaheadError(f"bar {-bars} ahead of the current one is in the future")
        if bars >= len(self.rows):
            raise IndexError(f"only {len(self.rows)} bars so far")
        row = self.rows[-1 - bars]
        return {name: float(row[i]) for i, name in enumerate(FIELDS)}

    def log(self, message: str) -> None:
        when = f"{self.bar.time:%Y-%m-%d %H:%M} " if self.bar.index >= 0 else ""
        self._run.log(f"{when}{self.symbol}: {message}")


def order_for_key(user, key: str) -> Order | None:
    return Order.objects.filter(user=user, client_order_id=key).first()
