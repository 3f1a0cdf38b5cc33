from strategies.base import Strategy
from strategies.params import FloatParam, IntParam


class TrendBracket(Strategy):
    name = "trend_bracket"
    title = "Trend entry with stop-loss and target"
    description = (
        "Buys when the close crosses above its moving average, then exits through a bracket: a stop-loss "
        "below the entry price and a target above it, whichever the price reaches first."
    )

    period = IntParam(20, min=2, max=1000, help="Bars in the moving average of the close.")
    stop_loss_pct = FloatParam(2.0, min=0.1, max=50, help="Stop-loss, percent below the entry price.")
    target_pct = FloatParam(4.0, min=0.1, max=500, help="Target, percent above the entry price.")

    def lookback_bars(self):
        return self.period

    def on_start(self):
        self.average = self.ctx.sma(self.period)
        self.was_above = None

    def on_bar(self, bar):
        above = bar.close > self.average.value  # False while the average is warming up (NaN)
        crossed = above and self.was_above is False
        self.was_above = above if self.average.ready else None
        ctx = self.ctx
        if crossed and not ctx.position and not ctx.open_orders:
            ctx.buy(tag="entry")

    def on_fill(self, fill):
        if fill.tag != "entry":
            return
        entry = float(fill.price)
        ctx = self.ctx
        # Both exits reduce only: when one fills, the position is flat and the other is cancelled.
        ctx.sell(stop=entry * (1 - self.stop_loss_pct / 100), reduce_only=True, tag="stop-loss")
        ctx.sell(limit=entry * (1 + self.target_pct / 100), reduce_only=True, tag="target")
