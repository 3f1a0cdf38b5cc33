"""Limits and tunables, each overridable from settings (the names below)."""

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def max_symbols() -> int:
    return _get("BACKTEST_MAX_SYMBOLS", 20)


def max_bars() -> int:
    """Bars (summed over the instruments) one backtest may read."""
    return _get("BACKTEST_MAX_BARS", 5_000_000)


def min_trades() -> int:
    """Trades below which a report warns that its figures are mostly luck (a common rule of thumb: 30)."""
    return _get("BACKTEST_MIN_TRADES", 30)


def max_sweep_combinations() -> int:
    return _get("SWEEP_MAX_COMBINATIONS", 500)


def max_sweep_bar_runs() -> int:
    """Combinations x bars: the work one sweep may ask for."""
    return _get("SWEEP_MAX_BAR_RUNS", 100_000_000)


def sweep_tasks() -> int:
    """How many tasks a grid is split into (at most): enough to keep several workers busy."""
    return _get("SWEEP_TASKS", 16)


def max_queued_research() -> int:
    """Backtests and sweeps one user may have queued or running at once (research_queue_full beyond)."""
    return _get("RESEARCH_MAX_QUEUED_PER_USER", 5)


def task_time_limit() -> int:
    """Seconds a backtest (or one sweep task) may run before its worker stops it."""
    return _get("BACKTEST_TIME_LIMIT", 900)


def stale_after() -> int:
    """Seconds without a heartbeat after which a RUNNING backtest is taken to have lost its worker."""
    return _get("BACKTEST_STALE_AFTER", 120)


def progress_every() -> float:
    """Seconds between progress writes while a backtest runs."""
    return _get("BACKTEST_PROGRESS_EVERY", 0.5)


def run_stale_after() -> int:
    """Seconds without a heartbeat after which a RUNNING strategy run is shown as LOST (no runner)."""
    return _get("STRATEGY_RUN_STALE_AFTER", 120)


def runner_poll_seconds() -> float:
    """Seconds between the runner's passes over the active runs."""
    return _get("STRATEGY_RUNNER_POLL_SECONDS", 5.0)


def max_runs() -> int:
    """Active (not stopped or failed) runs one user may have."""
    return _get("STRATEGY_RUN_MAX_ACTIVE", 20)


def run_bar_grace_seconds() -> float:
    """Seconds after a bar's end before a run reads it: the feed's last writes to that candle land first."""
    return _get("STRATEGY_RUN_BAR_GRACE_SECONDS", 2.0)
