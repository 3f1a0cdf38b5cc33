"""Sizing, costs, portfolios with shared cash, and what a strategy may see (never the future)."""

from decimal import Decimal

import pytest

from strategies.engine.costs import FlatCosts, IndiaCosts, cost_model_from
from strategies.engine.report import build_report
from strategies.engine.sizing import Sizing
from tests.strategies.engine_helpers import flat_rows, run, series

D = Decimal


def fills(result):
    return [(f.lane, f.index, f.quantity, f.price) for f in result.book.fills]


@pytest.mark.parametrize(
    ("sizing", "quantity"),
    [
        (Sizing("fixed_quantity", D(7)), 7),
        (Sizing("fixed_value", D("25000")), 243),  # 25000 / 102.8 = 243.19
        (Sizing("percent_equity", D(50)), 486),  # 50% of 100000 at the fill price 102.8
    ],
)
def test_sized_orders_get_their_quantity_at_the_fill_price(sizing, quantity):
    rows = [(100, 101, 99, 100), (102.8, 104, 102, 103)]
    result, _, _ = run(rows, {0: lambda c, b, s: c.buy()}, sizing=sizing)
    assert fills(result) == [(0, 1, quantity, D("102.8"))]


def test_quantities_are_whole_lots():
    data = [series([(100, 101, 99, 100), (102.8, 104, 102, 103)], lot_size=25)]
    result, _, _ = run(data, {0: lambda c, b, s: c.buy()}, sizing=Sizing("percent_equity", D(100)))
    assert fills(result) == [(0, 1, 950, D("102.8"))]  # 972 units affordable: 38 lots of 25
    result, _, _ = run(data, {0: lambda c, b, s: c.buy(10)})
    assert result.error.startswith("ValueError: quantity 10 is not a multiple of the lot size 25")


def test_an_order_the_cash_cannot_pay_for_is_rejected():
    rows = flat_rows(3)
    result, [s], _ = run(rows, {0: lambda c, b, s: c.buy(2000)}, cash="100000")
    assert fills(result) == [] and result.book.rejected == 1
    assert s.ctx.orders[0].status == "REJECTED" and s.ctx.orders[0].reason == "insufficient_funds"


def test_percent_sizing_leaves_room_for_the_charges():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100)]
    costs = IndiaCosts("CNC")
    result, _, _ = run(rows, {0: lambda c, b, s: c.buy()}, sizing=Sizing("percent_equity", D(100)), costs=costs)
    [fill] = result.book.fills
    assert fill.quantity == 998 and result.book.cash >= 0  # 1000 shares would leave nothing for ~122 of charges
    assert result.book.cash == D("100000") - 998 * 100 - fill.charges


def test_a_portfolio_shares_one_cash_balance():
    a = series([(100, 101, 99, 100)] * 4, symbol="NSE:AAA-EQ")
    b = series([(50, 51, 49, 50)] * 4, symbol="NSE:BBB-EQ")
    script = {("NSE:AAA-EQ", 0): lambda c, bar, s: c.buy(), ("NSE:BBB-EQ", 1): lambda c, bar, s: c.buy()}
    result, strategies, _ = run([a, b], script, sizing=Sizing("percent_equity", D(60)))
    # A takes 60% of the equity; B is sized on the whole equity too, but only the remaining cash is there.
    assert fills(result) == [(0, 1, 600, D("100")), (1, 2, 800, D("50"))]
    assert result.book.cash == D("0") and result.book.equity() == D("100000")
    assert [s.ctx.position for s in strategies] == [600, 800]
    report = build_report(result)
    assert report["metrics"]["final_equity"] == "100000.00" and report["metrics"]["exposure_time"] == 75.0


def test_instruments_with_different_calendars_are_merged_in_time_order():
    a = series([(100, 101, 99, 100)] * 3, symbol="NSE:AAA-EQ")
    b = series([(50, 51, 49, 50)] * 2, symbol="NSE:BBB-EQ", t0=a.times[1])
    seen = []

    def note(c, bar, s):
        seen.append((bar.symbol, bar.index, bar.epoch))

    script = {(sym, i): note for sym in ("NSE:AAA-EQ", "NSE:BBB-EQ") for i in range(3)}
    result, _, _ = run([a, b], script)
    assert [(sym, i) for sym, i, _ in seen] == [
        ("NSE:AAA-EQ", 0),
        ("NSE:AAA-EQ", 1),
        ("NSE:BBB-EQ", 0),
        ("NSE:AAA-EQ", 2),
        ("NSE:BBB-EQ", 1),
    ]
    assert [t for *_, t in seen] == sorted(t for *_, t in seen)
    assert result.bars_done == 5 and list(result.timeline) == list(a.times)


def test_a_strategy_cannot_ask_for_a_bar_from_the_future():
    rows = [(100 + i, 101 + i, 99 + i, 100 + i) for i in range(10)]
    result, [s], _ = run(rows, {5: lambda c, bar, s: c.bar_ago(-1)})
    assert result.error.startswith("LookaheadError: bar 1 ahead of")
    assert s.seen[-1] == (5, 105.0)  # the run stopped on the bar that peeked
    assert result.bars_done == 6


def test_what_a_strategy_sees_ends_at_the_current_bar():
    rows = [(100 + i, 101 + i, 99 + i, 100.5 + i) for i in range(30)]
    checked = []

    def look(c, bar, s):
        history = c.history("close", 1000)
        assert history[-1] == bar.close and len(history) == bar.index + 1
        assert c.bar_ago(0)["close"] == bar.close
        assert bar.index == 0 or c.bar_ago(1)["close"] == bar.close - 1
        assert s.sma.value == pytest.approx(sum(history[-5:]) / 5) if bar.index >= 4 else s.sma.value != s.sma.value
        assert c.now.timestamp() == bar.epoch
        checked.append(bar.index)

    def start(c, bar, s):
        s.sma = c.sma(5)

    script = {i: look for i in range(30)}
    script["on_start"] = start
    result, _, _ = run(rows, script)
    assert result.error is None and checked == list(range(30))


def test_a_strategy_error_stops_the_run_and_is_reported_with_the_bar():
    result, [s], _ = run(flat_rows(10), {3: lambda c, b, s: 1 / 0})
    assert result.error.startswith("ZeroDivisionError: division by zero at ")
    assert "UTC (NSE:TEST-EQ)" in result.error
    assert len(s.seen) == 4


def test_orders_during_walk_forward_warm_up_go_nowhere():
    from strategies.engine.runner import Backtest, RunConfig
    from tests.strategies.engine_helpers import Scripted

    data = series(flat_rows(6))
    cls = type("Warm", (Scripted,), {"name": "warm", "script": {i: (lambda c, b, s: c.buy(1)) for i in range(5)}})
    result = Backtest([data], cls, {}, RunConfig(trade_from=int(data.times[3]))).run()
    assert [f.index for f in result.book.fills] == [4, 5]  # placed on bars 3 and 4 only
    report = build_report(result)
    assert report["metrics"]["bars"] == 3 and report["equity"]["time"][0] == data.times[3]


def test_indian_charges_for_a_delivery_round_trip():
    costs = IndiaCosts("CNC")
    buy = costs.breakdown(side="BUY", quantity=100, price=D("500"), segment="equity")
    sell = costs.breakdown(side="SELL", quantity=100, price=D("520"), segment="equity")
    # Turnover 50,000 and 52,000: brokerage 0.1% capped at 20; STT 0.1% both ways; NSE 0.00297%;
    # SEBI Rs 10 a crore; stamp 0.015% on the buy; DP Rs 20 on the sell; GST 18% of brokerage+exchange+SEBI(+DP).
    assert buy == {
        "brokerage": D("20.00"),
        "stt": D("50.00"),
        "exchange": D("1.49"),
        "sebi": D("0.05"),
        "stamp": D("7.50"),
        "dp": D("0"),
        "gst": D("3.88"),
    }
    assert sell == {
        "brokerage": D("20.00"),
        "stt": D("52.00"),
        "exchange": D("1.54"),
        "sebi": D("0.05"),
        "stamp": D("0"),
        "dp": D("20"),
        "gst": D("7.49"),
    }


def test_indian_charges_differ_by_product_and_segment():
    intraday = IndiaCosts("MIS").breakdown(side="SELL", quantity=100, price=D("500"), segment="equity")
    assert intraday["brokerage"] == D("15.00") and intraday["stt"] == D("12.50") and intraday["dp"] == 0
    futures = IndiaCosts("NRML").breakdown(side="SELL", quantity=750, price=D("24000"), segment="futures")
    assert futures["brokerage"] == D("20") and futures["stt"] == D("3600.00") and futures["exchange"] == D("311.40")
    options = IndiaCosts("NRML").breakdown(side="BUY", quantity=75, price=D("120"), segment="options")
    assert options["brokerage"] == D("20.00") and options["stt"] == 0 and options["stamp"] == D("0.27")
    cheap = cost_model_from({"model": "india", "product": "MIS", "brokerage_cap": "0"})
    assert cheap.breakdown(side="BUY", quantity=100, price=D("500"), segment="equity")["brokerage"] == 0


def test_flat_commission_and_no_costs():
    assert FlatCosts(D("20"), D("0.05")).charges(side="BUY", quantity=10, price=D("1000"), segment="equity") == D(
        "25.00"
    )
    assert cost_model_from(None).charges(side="BUY", quantity=10, price=D("1000"), segment="equity") == 0


def test_charges_are_in_the_trades_and_the_cash():
    rows = [(100, 101, 99, 100), (100, 101, 99, 100), (110, 111, 109, 110), (110, 111, 109, 110)]
    costs = FlatCosts(D("20"), D("0"))
    result, _, _ = run(rows, {0: lambda c, b, s: c.buy(10), 1: lambda c, b, s: c.close()}, costs=costs)
    [trade] = result.book.trades
    assert trade.charges == D("40") and trade.pnl == D("60")
    assert result.book.cash == D("100060") and result.book.charges == D("40")
