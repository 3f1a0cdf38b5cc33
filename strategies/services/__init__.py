"""Every write in strategies: backtests, sweeps, walk-forward. Re-exported here."""

from .backtests import backtest_create, backtest_run, backtest_update, backtests_recover
from .sweeps import sweep_create, sweep_run_chunk, sweep_update
from .walkforward import walkforward_run_window

__all__ = [
    "backtest_create",
    "backtest_run",
    "backtest_update",
    "backtests_recover",
    "sweep_create",
    "sweep_run_chunk",
    "sweep_update",
    "walkforward_run_window",
]
