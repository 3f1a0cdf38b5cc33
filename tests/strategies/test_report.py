"""The report's numbers on a run small enough to work out by hand."""

import math

import pytest

from strategies.engine.report import build_report
from tests.strategies.engine_helpers import DAY, run


@pytest.fixture
def report():
    closes = [100, 110, 88, 121, 121, 110]
    rows = [(c, c, c, c) for c in closes]
    rows[1] = (100, 110, 100, 110)
    rows[5] = (110, 110, 110, 110)
    script = {0: lambda c, b, s: c.buy(10), 4: lambda c, b, s: c.close()}
    result, _, _ = run(rows, script, cash="1000")
    return build_report(result)


def test_returns_and_risk(report):
    m = report["metrics"]
    assert m["final_equity"] == "1100.00" and m["total_return"] == 10.0
    # Day 0 counts: the strategy held cash from the start to its first close.
    daily = [0.0, 0.1, -0.2, 0.375, 0.0, 1100 / 1210 - 1]
    mean = sum(daily) / 6
    std = math.sqrt(sum((r - mean) ** 2 for r in daily) / 5)
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in daily) / 6)
    assert m["volatility"] == pytest.approx(100 * std * math.sqrt(252), abs=1e-3)
    assert m["sharpe"] == pytest.approx(mean / std * math.sqrt(252), abs=1e-3)
    assert m["sortino"] == pytest.approx(mean / downside * math.sqrt(252), abs=1e-3)
    years = 5 * DAY / (365.25 * 86400)
    assert m["cagr"] == pytest.approx(100 * (1.1 ** (1 / years) - 1), rel=1e-3)
    assert m["calmar"] == pytest.approx(m["cagr"] / 20, rel=1e-3)


def test_drawdown_depth_and_duration(report):
    m = report["metrics"]
    assert m["max_drawdown"] == -20.0  # 1100 -> 880
    assert m["max_drawdown_duration_days"] == 2.0 and m["max_drawdown_duration_bars"] == 2  # back above 1100 on day 3
    assert report["equity"]["equity"] == ["1000.00", "1100.00", "880.00", "1210.00", "1210.00", "1100.00"]
    assert report["equity"]["drawdown"][2] == -20.0 and report["equity"]["drawdown"][5] == pytest.approx(-9.0909)


def test_trade_statistics(report):
    m = report["metrics"]
    assert m["num_trades"] == 1 and m["win_rate"] == 100.0 and m["profit_factor"] is None
    assert m["average_trade"] == "100.00" and m["expectancy"] == 10.0 and m["net_profit"] == "100.00"
    assert m["exposure_time"] == pytest.approx(100 * 4 / 6, abs=1e-3)
    [trade] = report["trades"]
    assert trade["entry_price"] == "100.00" and trade["exit_price"] == "110.00" and trade["pnl"] == "100.00"
    assert trade["bars_held"] == 4 and trade["side"] == "LONG" and trade["entry_time"].endswith("Z")
    assert report["open_trades"] == []
