"""Our backtester against backtesting.py on the real data sets it ships: same trades, same final equity.

Same semantics on both sides: market orders fill at the next bar's open, no
costs, whole units, all the equity in each position, the last open trade
valued at the last close.
"""

from decimal import Decimal

import pytest
from backtesting.test import EURUSD, GOOG

from strategies.engine.data import series_from_frame
from strategies.engine.runner import Backtest, RunConfig
from strategies.engine.sizing import Sizing
from strategies.registry import strategy_get
from tests.strategies.reference import Donchian, SmaCross, run_reference

CASH = 10_000


def exact(value) -> Decimal:
    return Decimal(repr(float(value)))


DATASETS = {"GOOG": GOOG, "EURUSD": EURUSD}
CASES = [
    ("sma_crossover", {"fast": 10, "slow": 20}, SmaCross, {"fast": 10, "slow": 20}),
    ("sma_crossover", {"fast": 5, "slow": 40}, SmaCross, {"fast": 5, "slow": 40}),
    ("donchian_breakout", {"entry": 20, "exit": 10}, Donchian, {"entry": 20, "exit": 10}),
    ("donchian_breakout", {"entry": 55, "exit": 20}, Donchian, {"entry": 55, "exit": 20}),
]


def ours(frame, strategy: str, params: dict):
    series = series_from_frame(frame, "TEST")
    config = RunConfig(initial_cash=Decimal(CASH), sizing=Sizing("percent_equity", Decimal(100)))
    result = Backtest([series], strategy_get(strategy), params, config).run()
    assert result.error is None
    return result


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize(("strategy", "params", "reference", "reference_params"), CASES)
def test_trades_and_final_equity_equal_backtesting_py(dataset, strategy, params, reference, reference_params):
    frame = DATASETS[dataset]
    theirs = run_reference(frame, reference, CASH, **reference_params)
    result = ours(frame, strategy, params)

    their_trades = [
        (int(t.EntryBar), int(t.ExitBar), int(t.Size), exact(t.EntryPrice), exact(t.ExitPrice))
        for t in theirs["_trades"].itertuples()
    ]
    our_trades = [(t.entry_index, t.exit_index, t.quantity, t.entry_price, t.exit_price) for t in result.book.trades]
    assert len(our_trades) > 5, "a comparison needs trades to compare"
    assert our_trades == their_trades
    final = result.book.equity()
    assert abs(final - exact(theirs["Equity Final [$]"])) < Decimal("0.01")
    our_pnl = [t.pnl for t in result.book.trades]
    assert all(abs(a - exact(b)) < Decimal("0.000001") for a, b in zip(our_pnl, theirs["_trades"].PnL, strict=True))
