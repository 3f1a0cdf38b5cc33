"""The backtest's side of the Context: orders go to a simulated book, data comes bar by bar."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from orders.lifecycle import move_simulated
from strategies.base import Context, Fill, LookaheadError
from strategies.indicators import INDICATORS, SOURCES, Indicator

from .book import Book, Position
from .data import FIELDS, Series
from .orders import BUY, CANCELLED, FILLED, LIMIT, MARKET, MATCH_ORDER, OPEN, REJECTED, SELL, SL, SL_M, SimOrder

MAX_LOG_LINES = 1000


class Bar:
    """The bar just completed. One object per instrument, refilled for every bar (no per-bar allocation).

    Prices are floats (see data.py); `time` is the bar's opening time, aware UTC.
    """

    __slots__ = ("_row", "index", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.index = -1
        self._row = (0.0, 0.0, 0.0, 0.0, 0.0, 0, 0)

    open = property(lambda self: self._row[0])
    high = property(lambda self: self._row[1])
    low = property(lambda self: self._row[2])
    close = property(lambda self: self._row[3])
    volume = property(lambda self: self._row[4])
    epoch = property(lambda self: self._row[5])

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self._row[5], tz=UTC)

    def __repr__(self) -> str:
        return f"Bar({self.symbol} {self.time:%Y-%m-%d %H:%M} o={self.open} h={self.high} l={self.low} c={self.close})"


def _round_to_tick(value, tick: Decimal | None, name: str) -> Decimal:
    number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if not number.is_finite() or number <= 0:
        raise ValueError(f"{name} price must be positive, got {value!r}")
    if tick:
        number = (number / tick).to_integral_value(rounding=ROUND_HALF_UP) * tick
    return number


class BacktestContext(Context):
    def __init__(self, run, book: Book, position: Position, bar: Bar) -> None:
        self._run = run
        self._book = book
        self._position = position
        self._bar = bar
        series: Series = position.series
        self._series = series
        self.symbol = series.symbol
        self.lot_size = series.lot_size
        self.tick_size = series.tick_size
        self.pending: list[SimOrder] = []
        self.orders: list[SimOrder] = []
        # Indicator updates, by what feeds them: the close as a float, the close in millionths
        # (exact indicators), or another field (update, field position, exact).
        self.close_updaters: list = []
        self.micro_close_updaters: list = []
        self.other_updaters: list = []
        self.strategy = None
        self._matching = -1

    # --- account ---------------------------------------------------------------------
    @property
    def position(self) -> int:
        return self._position.quantity

    @property
    def avg_price(self) -> Decimal | None:
        return self._position.avg_price()

    @property
    def cash(self) -> Decimal:
        return self._book.cash

    @property
    def equity(self) -> Decimal:
        return self._book.equity()

    @property
    def now(self) -> datetime:
        return self._bar.time

    # --- orders ----------------------------------------------------------------------
    def buy(self, quantity=None, *, limit=None, stop=None, reduce_only=False, tag=""):
        return self._place(BUY, quantity, limit, stop, reduce_only, tag)

    def sell(self, quantity=None, *, limit=None, stop=None, reduce_only=False, tag=""):
        return self._place(SELL, quantity, limit, stop, reduce_only, tag)

    def close(self, *, tag=""):
        held = self._position.quantity
        if not held:
            return None
        return self._place(SELL if held > 0 else BUY, None, None, None, True, tag)

    def cancel(self, order) -> bool:
        if order.status != OPEN:
            return False
        move_simulated(order, CANCELLED)
        self.pending.remove(order)
        return True

    def cancel_all(self) -> int:
        count = 0
        for order in list(self.pending):
            count += self.cancel(order)
        return count

    @property
    def open_orders(self) -> list:
        return list(self.pending)

    def _place(self, side, quantity, limit, stop, reduce_only, tag):
        if self._run.warming_up(self._bar.epoch):
            return None  # walk-forward warm-up: the strategy sees bars, its orders go nowhere
        if quantity is not None:
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
                raise ValueError(f"quantity must be a positive whole number, got {quantity!r}")
            if quantity % self.lot_size:
                raise ValueError(f"quantity {quantity} is not a multiple of the lot size {self.lot_size}")
        tick = self.tick_size
        limit_price = None if limit is None else _round_to_tick(limit, tick, "limit")
        stop_price = None if stop is None else _round_to_tick(stop, tick, "stop")
        kind = (
            (SL if limit_price is not None else SL_M) if stop_price is not None else (LIMIT if limit_price else MARKET)
        )
        # Placed from on_fill while this bar is being matched: a limit or stop order still
        # sees the rest of the bar; a MARKET order, like any other, waits for the next open.
        placed = self._bar.index if self._matching < 0 or kind == MARKET else self._matching - 1
        order = SimOrder(
            self._run.next_order_id(),
            side,
            quantity,
            kind,
            limit_price,
            stop_price,
            bool(reduce_only),
            str(tag)[:40],
            placed,
        )
        self.pending.append(order)
        self.orders.append(order)
        return order

    # --- matching (called by the runner when a bar opens and orders are pending) ----
    def match(self, i: int, o: float, h: float, low: float) -> None:
        self._matching = i
        tried: set[int] = set()
        while True:
            due = [x for x in self.pending if x.placed_index < i and x.id not in tried]
            if not due:
                break
            due.sort(key=lambda x: MATCH_ORDER[x.order_type])
            for order in due:
                tried.add(order.id)
                if order.status == OPEN:
                    self._try_fill(order, i, o, h, low)
        self._matching = -1

    def _try_fill(self, order: SimOrder, i: int, o: float, h: float, low: float) -> None:
        arriving = order.placed_index == i - 1
        price = order.match(o, h, low, arriving=arriving, tick=self.tick_size, slippage=self._run.slippage)
        if price is None:
            return
        quantity = self._fill_quantity(order, price)
        if quantity <= 0:
            return
        charges = self._book.fill(self._position, order.side, quantity, price, i)
        move_simulated(order, FILLED)
        order.filled_quantity, order.fill_price = quantity, price
        self.pending.remove(order)
        if not self._position.quantity:
            for other in [x for x in self.pending if x.reduce_only]:
                self._end(other, CANCELLED, "position closed")
        fill = Fill(order.id, order.side, quantity, price, charges, self._series.time_at(i), order.tag)
        self.strategy.on_fill(fill)

    def _fill_quantity(self, order: SimOrder, price: Decimal) -> int:
        position, book = self._position, self._book
        if order.reduce_only:
            held = position.quantity
            if not held or (held > 0) == (order.side == BUY):
                self._end(order, CANCELLED, "nothing to reduce")
                return 0
            return abs(held) if order.quantity is None else min(order.quantity, abs(held))
        if order.quantity is None:
            wanted = self._run.sizing.quantity(
                equity=book.equity(at=position, price=price), price=price, lot_size=self.lot_size
            )
            quantity = book.affordable(position, order.side, wanted, price)
        else:
            quantity = order.quantity
            if book.affordable(position, order.side, quantity, price) < quantity:
                quantity = 0
        if quantity <= 0:
            self._end(order, REJECTED, "insufficient_funds")
            book.rejected += 1
        return quantity

    def _end(self, order: SimOrder, status: str, reason: str) -> None:
        move_simulated(order, status)
        order.reason = reason
        if order in self.pending:
            self.pending.remove(order)

    # --- data ------------------------------------------------------------------------
    def indicator(self, kind: str, period: int, source: str | None = None) -> Indicator:
        try:
            cls = INDICATORS[kind]
        except KeyError:
            raise ValueError(f"unknown indicator {kind!r}; known: {', '.join(INDICATORS)}") from None
        made = cls(period) if source is None else cls(period, source)
        if made.source == "close":
            (self.micro_close_updaters if made.exact else self.close_updaters).append(made.update)
        else:
            self.other_updaters.append((made.update, SOURCES.index(made.source), made.exact))
        return made

    def history(self, field: str, count: int) -> list[float]:
        if field not in FIELDS:
            raise ValueError(f"field must be one of {', '.join(FIELDS)}")
        end = self._bar.index + 1
        return getattr(self._series, field)[max(0, end - count) : end].tolist()

    def bar_ago(self, bars: int) -> dict:
        """Open/high/low/close/volume of the bar `bars` before the current one (0: the current bar)."""
        if bars < 0:
            raise LookaheadError(f"bar {-bars} ahead of {self._bar.time:%Y-%m-%d %H:%M} is in the future")
        i = self._bar.index - bars
        if i < 0:
            raise IndexError(f"only {self._bar.index + 1} bars so far")
        return {name: float(getattr(self._series, name)[i]) for name in FIELDS}

    def log(self, message: str) -> None:
        self._run.log(f"{self._bar.time:%Y-%m-%d %H:%M} {self.symbol}: {message}")
