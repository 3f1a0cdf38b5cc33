from strategies.base import Strategy
from strategies.params import BoolParam, IntParam, param_error


class SmaCrossover(Strategy):
    name = "sma_crossover"
    title = "SMA crossover"
    description = (
        "Buys when the fast simple moving average of the close crosses above the slow one and exits when it "
        "crosses below; with allow_short it also sells short on the cross below and covers on the cross above."
    )

    fast = IntParam(10, min=1, max=1000, help="Bars in the fast average.")
    slow = IntParam(20, min=2, max=5000, help="Bars in the slow average; more than fast.")
    allow_short = BoolParam(False, help="Sell short on the cross below instead of only exiting.")

    @classmethod
    def check_params(cls, values):
        if values["fast"] >= values["slow"]:
            raise param_error("fast", f"must be less than slow ({values['slow']}).", code="param_out_of_range")

    def lookback_bars(self):
        return self.slow

    def on_start(self):
        self.fast_ma = self.ctx.sma(self.fast)
        self.slow_ma = self.ctx.sma(self.slow)

    def on_bar(self, bar):
        fast, slow = self.fast_ma, self.slow_ma
        if fast.prev < slow.prev and fast.value > slow.value:
            ctx = self.ctx
            if ctx.position < 0:
                ctx.close()
            if ctx.position <= 0:
                ctx.buy()
        elif fast.prev > slow.prev and fast.value < slow.value:
            ctx = self.ctx
            if ctx.position > 0:
                ctx.close()
            if self.allow_short and ctx.position >= 0:
                ctx.sell()
