from strategies.base import Strategy
from strategies.params import BoolParam, FloatParam, IntParam, param_error


class RsiReversion(Strategy):
    name = "rsi_reversion"
    title = "RSI mean reversion"
    description = (
        "Buys when the RSI falls below the oversold level and exits when it rises above the overbought level; "
        "with allow_short, also sells short above overbought and covers below oversold."
    )

    period = IntParam(14, min=2, max=500, help="Bars in the RSI (Wilder's smoothing).")
    oversold = FloatParam(30.0, min=1, max=99, help="Buy below this RSI.")
    overbought = FloatParam(70.0, min=1, max=99, help="Exit (or short) above this RSI.")
    allow_short = BoolParam(False, help="Sell short when overbought.")

    @classmethod
    def check_params(cls, values):
        if values["oversold"] >= values["overbought"]:
            raise param_error("oversold", "must be below overbought.", code="param_out_of_range")

    def lookback_bars(self):
        return self.period

    def on_start(self):
        self.rsi = self.ctx.rsi(self.period)

    def on_bar(self, bar):
        value = self.rsi.value
        ctx = self.ctx
        held = ctx.position
        if value < self.oversold:
            if held < 0:
                ctx.close()
            if held <= 0 and not ctx.open_orders:
                ctx.buy()
        elif value > self.overbought:
            if held > 0:
                ctx.close()
            if self.allow_short and held >= 0 and not ctx.open_orders:
                ctx.sell()
