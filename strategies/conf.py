"""Limits and tunables, each overridable from settings (the names below)."""

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def max_symbols() -> int:
    return _get("BACKTEST_MAX_SYMBOLS", 20)


def max_bars() -> int:
    """Bars (summed over the instruments) one backtest may read."""
    return _get("BACKTEST_MAX_BARS", 5_000_000)


def max_sweep_combinations() -> int:
    return _get("SWEEP_MAX_COMBINATIONS", 500)


def max_sweep_bar_runs() -> int:
    """Combinations x bars: the work one sweep may ask for."""
    return _get("SWEEP_MAX_BAR_RUNS", 100_000_000)


def sweep_tasks() -> int:
    """How many tasks a grid is split into (at most): enough to keep several workers busy."""
    return _get("SWEEP_TASKS", 16)


def task_time_limit() -> int:
    """Seconds a backtest (or one sweep task) may run before its worker stops it."""
    return _get("BACKTEST_TIME_LIMIT", 900)


def stale_after() -> int:
    """Seconds without a heartbeat after which a RUNNING backtest is taken to have lost its worker."""
    return _get("BACKTEST_STALE_AFTER", 120)


def progress_every() -> float:
    """Seconds between progress writes while a backtest runs."""
    return _get("BACKTEST_PROGRESS_EVERY", 0.5)
