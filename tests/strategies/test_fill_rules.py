"""When and at what price orders fill: the paper exchange's rules, bar by bar (see engine/orders.py)."""

from decimal import Decimal

from tests.strategies.engine_helpers import flat_rows, run

D = Decimal


def fills(result):
    return [(f.index, f.quantity, f.price) for f in result.book.fills]


def test_a_market_order_fills_at_the_next_bars_open():
    rows = [(100, 101, 99, 100), (103, 104, 102, 103.5), (105, 106, 104, 105)]
    result, [s], _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10)})
    assert fills(result) == [(1, 10, D("103"))]
    assert s.fills[0].price == D("103") and s.fills[0].time.timestamp() == result.series[0].times[1]


def test_an_order_placed_on_the_last_bar_never_fills():
    result, _, _ = run(flat_rows(3), {2: lambda ctx, bar, s: ctx.buy(10)})
    assert fills(result) == [] and result.book.cash == D("100000")


def test_a_limit_buy_fills_at_its_price_when_the_low_reaches_it():
    rows = [(100, 101, 99, 100), (100, 101, 98.5, 99), (99, 100, 97.0, 98)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, limit=97.5)})
    assert fills(result) == [(2, 10, D("97.50"))]


def test_a_limit_buy_fills_at_the_open_when_the_bar_gaps_below_it():
    rows = [(100, 101, 99, 100), (95, 96, 94, 95)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, limit=97.5)})
    assert fills(result) == [(1, 10, D("95"))]


def test_a_limit_sell_fills_at_its_price_or_a_better_open_on_arrival():
    rows = [(100, 101, 99, 100), (100, 102.2, 99, 101), (104, 105, 103, 104)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.sell(10, limit=102.2)})
    assert fills(result) == [(1, -10, D("102.20"))]
    result, _, _ = run(rows, {1: lambda ctx, bar, s: ctx.sell(10, limit=103)})
    assert fills(result) == [(2, -10, D("104"))]  # arrives at an open beyond its limit: the open


def test_a_resting_limit_fills_at_its_price_when_a_later_open_jumps_past_it():
    # As on the paper exchange, where a resting order fills at its limit on a tick that jumps past it.
    rows = [(100, 101, 99, 100), (100, 102.2, 99, 101), (104, 105, 103, 104)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.sell(10, limit=103)})
    assert fills(result) == [(2, -10, D("103"))]


def test_a_stop_buy_triggers_on_the_high_and_fills_at_the_stop_or_a_worse_open():
    rows = [(100, 101, 99, 100), (100, 101.5, 99, 101), (103, 104, 102, 103)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, stop=101.5)})
    assert fills(result) == [(1, 10, D("101.50"))]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, stop=102)})
    assert fills(result) == [(2, 10, D("103"))]  # gapped through: the open


def test_a_stop_sell_fills_at_the_stop_or_a_worse_open_plus_slippage():
    rows = [(100, 101, 99, 100), (100, 101, 98, 99), (96, 97, 95, 96)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.sell(10, stop=98)}, slippage=2)
    assert fills(result) == [(1, -10, D("97.90"))]  # 98 less 2 ticks of 0.05
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.sell(10, stop=97.5)}, slippage=0)
    assert fills(result) == [(2, -10, D("96"))]


def test_market_slippage_is_in_ticks_against_the_trader():
    rows = [(100, 101, 99, 100), (103, 104, 102, 103), (103, 104, 102, 103)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10), 1: lambda ctx, bar, s: ctx.sell(10)}, slippage=3)
    assert fills(result) == [(1, 10, D("103.15")), (2, -10, D("102.85"))]


def test_a_stop_limit_that_gaps_past_its_limit_rests_as_a_limit():
    rows = [(100, 101, 99, 100), (104, 105, 103.5, 104), (103, 104, 101, 102)]
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, stop=102, limit=103)})
    assert fills(result) == [(2, 10, D("103"))]  # triggered on bar 1 above the limit; bar 2 comes back to it
    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, stop=102, limit=104.5)})
    assert fills(result) == [(1, 10, D("104"))]  # triggered at the open, within the limit


def test_prices_are_rounded_to_the_tick():
    rows = [(100, 101, 99, 100), (100, 101, 97, 98)]
    result, [s], _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10, limit=97.5234)})
    assert s.ctx.orders[0].limit == D("97.50") and fills(result) == [(1, 10, D("97.50"))]


def test_stop_loss_and_target_in_one_bar_the_stop_is_assumed_first_and_the_target_cancelled():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (100, 106, 94, 100), (100, 101, 99, 100)]

    def exits(ctx, fill, s):
        if fill.quantity and ctx.position > 0:
            ctx.sell(stop=95, reduce_only=True)
            ctx.sell(limit=105, reduce_only=True)

    result, [s], _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10), "on_fill": exits})
    assert fills(result) == [(1, 10, D("100")), (2, -10, D("95"))]
    target = s.ctx.orders[-1]
    assert target.status == "CANCELLED" and target.reason == "position closed"
    assert s.ctx.position == 0 and s.ctx.open_orders == []


def test_exits_placed_when_the_entry_fills_can_fill_in_the_same_bar():
    rows = [(100, 101, 99, 100), (100, 106, 99.5, 105)]

    def target(ctx, fill, s):
        if ctx.position > 0:
            ctx.sell(limit=104, reduce_only=True)

    result, _, _ = run(rows, {0: lambda ctx, bar, s: ctx.buy(10), "on_fill": target})
    assert fills(result) == [(1, 10, D("100")), (1, -10, D("104"))]


def test_a_reduce_only_order_never_opens_a_position():
    rows = flat_rows(4)
    result, [s], _ = run(rows, {0: lambda ctx, bar, s: ctx.sell(10, reduce_only=True)})
    assert fills(result) == [] and s.ctx.orders[0].status == "CANCELLED"


def test_close_flattens_whatever_is_held_at_fill_time():
    rows = flat_rows(5)
    script = {0: lambda ctx, bar, s: ctx.buy(10), 1: lambda ctx, bar, s: ctx.buy(5), 2: lambda ctx, bar, s: ctx.close()}
    result, [s], _ = run(rows, script)
    assert fills(result) == [(1, 10, D("100")), (2, 5, D("100")), (3, -15, D("100"))]
    assert s.ctx.position == 0


def test_trades_close_lots_first_in_first_out():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (110, 111, 109, 110), (120, 121, 119, 120), (120, 121, 119, 125)]
    script = {0: lambda c, b, s: c.buy(10), 1: lambda c, b, s: c.buy(10), 2: lambda c, b, s: c.sell(15)}
    result, _, _ = run(rows, script)
    closed = [(t.quantity, t.entry_price, t.exit_price, t.pnl) for t in result.book.trades]
    assert closed == [(10, D("100"), D("120"), D("200")), (5, D("110"), D("120"), D("50"))]
    [still_open] = result.book.open_trades()
    assert (still_open.quantity, still_open.entry_price, still_open.pnl) == (5, D("110"), D("75"))  # at the last close
    assert result.book.equity() == D("100000") + 200 + 50 + 75


def test_a_short_sale_profits_when_the_price_falls():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (90, 91, 89, 90), (90, 91, 89, 90)]
    result, _, _ = run(rows, {0: lambda c, b, s: c.sell(10), 1: lambda c, b, s: c.close()})
    [trade] = result.book.trades
    assert (trade.quantity, trade.pnl) == (-10, D("100")) and result.book.cash == D("100100")
