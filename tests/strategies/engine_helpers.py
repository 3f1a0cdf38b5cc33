"""Small hand-made series and scripted strategies for the engine's tests."""

from decimal import Decimal

from strategies.base import Strategy
from strategies.engine.data import Series
from strategies.engine.runner import Backtest, RunConfig
from strategies.engine.sizing import Sizing

DAY = 86400
T0 = 1_700_000_000 - 1_700_000_000 % DAY


def series(rows, symbol="NSE:TEST-EQ", lot_size=1, tick="0.05", segment="equity", t0=T0, step=DAY) -> Series:
    """rows: (open, high, low, close) per bar."""
    o, h, low, c = zip(*rows, strict=True)
    times = [t0 + step * i for i in range(len(rows))]
    return Series(symbol, times, o, h, low, c, [100] * len(rows), lot_size, Decimal(tick) if tick else None, segment)


def flat_rows(count, price=100.0):
    return [(price, price + 1, price - 1, price)] * count


class Scripted(Strategy):
    """Runs `script[bar.index](ctx, bar, self)` on each bar; records fills and what it saw."""

    name = "scripted"
    script: dict = {}

    def on_start(self):
        self.fills = []
        self.seen = []
        if "on_start" in self.script:
            self.script["on_start"](self.ctx, None, self)

    def on_bar(self, bar):
        self.seen.append((bar.index, bar.close))
        action = self.script.get((self.ctx.symbol, bar.index), self.script.get(bar.index))
        if action:
            action(self.ctx, bar, self)

    def on_fill(self, fill):
        self.fills.append(fill)
        hook = self.script.get("on_fill")
        if hook:
            hook(self.ctx, fill, self)


def run(rows_or_series, script, cash="100000", sizing=None, costs=None, slippage=0, strategy=Scripted):
    data = rows_or_series if isinstance(rows_or_series, list) and isinstance(rows_or_series[0], Series) else None
    data = data or [series(rows_or_series)]
    cls = type("Script", (strategy,), {"script": script, "name": "script"})
    config = RunConfig(
        initial_cash=Decimal(cash), sizing=sizing or Sizing("fixed_quantity", Decimal(10)), slippage_ticks=slippage
    )
    if costs is not None:
        config.costs = costs
    engine = Backtest(data, cls, {}, config)
    result = engine.run()
    return result, [ctx.strategy for ctx in engine.contexts], engine
