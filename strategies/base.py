"""What a strategy is, and the context it trades through.

A strategy trades one instrument. A run over several instruments (a portfolio
backtest, or a live run) creates one instance per instrument; the instances
share one cash balance and one equity, so sizing by equity and the buying-power
check see the whole portfolio.

The runner calls, in this order:

- `on_start()` once, before the first bar: create indicators here.
- `on_bar(bar)` once per completed bar, after the bar's fills were reported.
- `on_fill(fill)` whenever one of the strategy's orders fills.
- `on_tick(tick)` live only, for strategies that want every price change.
- `on_stop()` once at the end.

Everything a strategy may do goes through `self.ctx`, a `Context`. The same
strategy class runs unchanged against the backtest context (engine/) and,
later, the live context that sends orders through the order pipeline: only
the context differs.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from .indicators import Indicator
from .params import Param, params_clean, params_schema


class LookaheadError(Exception):
    """A strategy asked for data from after the current bar."""


@dataclass(frozen=True, slots=True)
class Fill:
    order_id: int
    side: str  # orders.models.Side
    quantity: int
    price: Decimal
    charges: Decimal
    time: datetime
    tag: str


class Context(ABC):
    """The interface between a strategy and whatever runs it (backtest, paper, live).

    Quantities are whole units (a multiple of the lot size); `quantity=None`
    asks the run's sizing rule (fixed quantity, fixed value or percent of
    equity), evaluated when the order fills. Prices given to orders may be
    floats or Decimals and are rounded to the instrument's tick.
    """

    symbol: str
    lot_size: int
    tick_size: Decimal | None

    # --- account -----------------------------------------------------------------
    @property
    @abstractmethod
    def position(self) -> int:
        """This strategy's signed quantity in its instrument (short is negative)."""

    @property
    @abstractmethod
    def avg_price(self) -> Decimal | None:
        """Average entry price of the open position, or None when flat."""

    @property
    @abstractmethod
    def cash(self) -> Decimal:
        """Cash of the whole run (shared by every instrument in it)."""

    @property
    @abstractmethod
    def equity(self) -> Decimal:
        """Cash plus every position at its last price."""

    @property
    @abstractmethod
    def now(self) -> datetime:
        """Opening time (aware UTC) of the bar being processed."""

    # --- orders --------------------------------------------------------------------
    @abstractmethod
    def buy(self, quantity: int | None = None, *, limit=None, stop=None, reduce_only: bool = False, tag: str = ""):
        """Buy: MARKET, LIMIT (limit=), SL-M (stop=) or SL (stop= and limit=). Returns the order."""

    @abstractmethod
    def sell(self, quantity: int | None = None, *, limit=None, stop=None, reduce_only: bool = False, tag: str = ""):
        """Sell (or sell short when flat and the strategy allows it): as `buy`."""

    @abstractmethod
    def close(self, *, tag: str = ""):
        """A MARKET order for the whole open position (None when flat)."""

    @abstractmethod
    def cancel(self, order) -> bool:
        """Cancel an open order; False when it had already filled or ended."""

    @abstractmethod
    def cancel_all(self) -> int:
        """Cancel every open order of this strategy; returns how many."""

    @property
    @abstractmethod
    def open_orders(self) -> list:
        """Orders placed and not yet filled, cancelled or rejected."""

    # --- data ----------------------------------------------------------------------
    @abstractmethod
    def indicator(self, kind: str, period: int, source: str | None = None) -> Indicator:
        """A new indicator (sma, ema, rsi, highest, lowest) fed with every bar from now on."""

    def sma(self, period: int, source: str = "close") -> Indicator:
        return self.indicator("sma", period, source)

    def ema(self, period: int, source: str = "close") -> Indicator:
        return self.indicator("ema", period, source)

    def rsi(self, period: int = 14, source: str = "close") -> Indicator:
        return self.indicator("rsi", period, source)

    def highest(self, period: int, source: str = "high") -> Indicator:
        return self.indicator("highest", period, source)

    def lowest(self, period: int, source: str = "low") -> Indicator:
        return self.indicator("lowest", period, source)

    @abstractmethod
    def history(self, field: str, count: int) -> list[float]:
        """The last `count` values of `field` (open/high/low/close/volume), oldest first, ending at the current bar."""

    @abstractmethod
    def bar_ago(self, bars: int) -> dict:
        """Open/high/low/close/volume of the bar `bars` before the current one; a negative count raises
        LookaheadError."""

    @abstractmethod
    def log(self, message: str) -> None:
        """A line in the run's log (kept with the backtest or run)."""


class Strategy:
    """Subclass this, declare parameters as `Param` class attributes and override the hooks."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[dict[str, Param]] = {}
    # Closed bars a live run replays into the strategy (orders off) when it is loaded, at the least: enough
    # for most indicators to settle and for the strategy's own state to be rebuilt.
    warmup_floor: ClassVar[int] = 500

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        declared = dict(getattr(cls, "params", {}))
        declared.update({k: v for k, v in vars(cls).items() if isinstance(v, Param)})
        cls.params = declared

    def __init__(self, ctx: Context, **params: Any) -> None:
        self.ctx = ctx
        for name, value in self.clean_params(params).items():
            setattr(self, name, value)

    @classmethod
    def clean_params(cls, given: dict[str, Any] | None) -> dict[str, Any]:
        """Typed, range-checked parameters (defaults filled in); then the strategy's own cross-checks."""
        values = params_clean(cls.params, given)
        cls.check_params(values)
        return values

    @classmethod
    def check_params(cls, values: dict[str, Any]) -> None:
        """Override to refuse combinations (raise strategies.params.param_error)."""

    @classmethod
    def schema(cls) -> dict[str, Any]:
        return params_schema(cls.params)

    def lookback_bars(self) -> int:
        """The most bars back this strategy reads with its parameters (its longest indicator period)."""
        return 0

    def warmup_bars(self) -> int:
        """Closed bars to replay before trading live: the floor, or more when the lookback is longer."""
        return max(self.warmup_floor, self.lookback_bars() + 1)

    def on_start(self) -> None:
        pass

    def on_bar(self, bar) -> None:
        pass

    def on_tick(self, tick) -> None:
        pass

    def on_fill(self, fill: Fill) -> None:
        pass

    def on_stop(self) -> None:
        pass
