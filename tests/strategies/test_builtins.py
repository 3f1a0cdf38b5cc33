"""Every built-in strategy on generated bars: it trades, and its own rules hold in the trades it makes."""

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest

from strategies.engine.data import Series
from strategies.engine.report import build_report
from strategies.engine.runner import Backtest, RunConfig
from strategies.registry import strategies_all, strategy_get

SESSION = 375  # minutes, 09:15-15:30 IST


def session_minutes(days: int, seed: int = 3) -> Series:
    rng = np.random.default_rng(seed)
    first_open = int(datetime(2024, 1, 1, 3, 45, tzinfo=UTC).timestamp())  # 09:15 IST
    times = (first_open + 86400 * np.arange(days)[:, None] + 60 * np.arange(SESSION)[None, :]).ravel()
    close = np.round((1000 + np.cumsum(rng.normal(0, 1.2, len(times)))) / 0.05) * 0.05
    open_ = np.r_[close[0], close[:-1]]
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    return Series(
        "NSE:TEST-EQ",
        times,
        np.round(open_, 2),
        np.round(high, 2),
        np.round(low, 2),
        np.round(close, 2),
        np.full(len(times), 100.0),
        1,
        Decimal("0.05"),
    )


def run(name: str, params: dict, series: Series):
    config = RunConfig(initial_cash=Decimal(1_000_000))
    result = Backtest([series], strategy_get(name), params, config).run()
    assert result.error is None
    return result


@pytest.mark.parametrize("cls", strategies_all(), ids=lambda c: c.name)
def test_each_built_in_runs_and_trades(cls):
    result = run(cls.name, {}, session_minutes(20))
    report = build_report(result)
    assert report["metrics"]["num_trades"] + len(report["open_trades"]) > 0
    assert cls.title and cls.description and cls.schema()["properties"]


def test_the_bracket_exits_at_its_stop_or_its_target():
    result = run("trend_bracket", {"period": 20, "stop_loss_pct": 0.5, "target_pct": 1.0}, session_minutes(20))
    assert len(result.book.trades) > 5
    for trade in result.book.trades:
        stop = (trade.entry_price * Decimal("0.995") / Decimal("0.05")).quantize(Decimal(1)) * Decimal("0.05")
        target = (trade.entry_price * Decimal("1.01") / Decimal("0.05")).quantize(Decimal(1)) * Decimal("0.05")
        assert trade.exit_price <= stop or trade.exit_price >= target, trade


def test_the_opening_range_breakout_is_flat_at_every_close():
    series = session_minutes(15)
    result = run("opening_range_breakout", {"range_minutes": 15, "exit_before_close": 15, "allow_short": True}, series)
    assert len(result.book.trades) > 3 and not result.book.open_trades()
    for trade in result.book.trades:
        entry, exit_ = series.times[trade.entry_index], series.times[trade.exit_index]
        assert (entry - series.times[0]) // 86400 == (exit_ - series.times[0]) // 86400  # same session
        minute_of_day = (exit_ + 19800) % 86400 // 60
        assert minute_of_day <= 15 * 60 + 16  # squared off by 15:15 IST (filled at the next open)
