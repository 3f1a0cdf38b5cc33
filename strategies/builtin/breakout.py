from core.clock import IST_OFFSET
from strategies.base import Strategy
from strategies.params import BoolParam, IntParam

SESSION_CLOSE_MINUTE = 15 * 60 + 30  # 15:30 IST


class DonchianBreakout(Strategy):
    name = "donchian_breakout"
    title = "Donchian channel breakout"
    description = (
        "Buys when the close breaks above the highest high of the previous `entry` bars and exits when it "
        "breaks below the lowest low of the previous `exit` bars (with allow_short, the mirror image too)."
    )

    entry = IntParam(20, min=2, max=1000, help="Bars whose highest high (lowest low) an entry must break.")
    exit = IntParam(10, min=2, max=1000, help="Bars whose lowest low (highest high) ends the trade.")
    allow_short = BoolParam(False, help="Sell short on a break below the entry channel.")

    def lookback_bars(self):
        return max(self.entry, self.exit)

    def on_start(self):
        ctx = self.ctx
        self.upper = ctx.highest(self.entry)
        self.lower = ctx.lowest(self.entry)
        self.exit_low = ctx.lowest(self.exit)
        self.exit_high = ctx.highest(self.exit)

    def on_bar(self, bar):
        # `prev` is the channel of the bars before this one: a breakout is measured against them.
        ctx = self.ctx
        close = bar.close
        held = ctx.position
        if (held > 0 and close < self.exit_low.prev) or (held < 0 and close > self.exit_high.prev):
            ctx.close()
            return
        if held == 0 and not ctx.open_orders:
            if close > self.upper.prev:
                ctx.buy()
            elif self.allow_short and close < self.lower.prev:
                ctx.sell()


class OpeningRangeBreakout(Strategy):
    name = "opening_range_breakout"
    title = "Opening range breakout (intraday)"
    description = (
        "Marks the high and low of each session's first minutes, buys a close above that range (sells short "
        "below it with allow_short), stops out at the other side of the range and exits before the close."
    )

    range_minutes = IntParam(15, min=1, max=180, help="Minutes from 09:15 IST that form the range.")
    exit_before_close = IntParam(15, min=0, max=120, help="Minutes before 15:30 IST to square off.")
    allow_short = BoolParam(False, help="Sell short on a break below the range.")

    def on_start(self):
        self.day = None
        self.high = self.low = None
        self.traded = False

    def on_bar(self, bar):
        local = bar.time + IST_OFFSET
        minute = local.hour * 60 + local.minute
        if local.date() != self.day:
            self.day, self.high, self.low, self.traded = local.date(), bar.high, bar.low, False
        ctx = self.ctx
        if minute >= SESSION_CLOSE_MINUTE - self.exit_before_close:
            ctx.cancel_all()
            ctx.close()
            return
        if minute < 9 * 60 + 15 + self.range_minutes:
            self.high, self.low = max(self.high, bar.high), min(self.low, bar.low)
            return
        if self.traded or ctx.position or ctx.open_orders:
            return
        if bar.close > self.high:
            ctx.buy(tag="entry")
            self.traded = True
        elif self.allow_short and bar.close < self.low:
            ctx.sell(tag="entry")
            self.traded = True

    def on_fill(self, fill):
        if fill.tag == "entry":
            ctx = self.ctx
            if ctx.position > 0:
                ctx.sell(stop=self.low, reduce_only=True, tag="stop")
            elif ctx.position < 0:
                ctx.buy(stop=self.high, reduce_only=True, tag="stop")
