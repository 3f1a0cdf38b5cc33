"""Running one backtest in this process: the spec and bars in, the engine's result and report out."""

import time
from collections.abc import Callable

from strategies.engine.data import Series
from strategies.engine.report import build_report
from strategies.engine.runner import Backtest as Engine
from strategies.engine.runner import RunConfig, RunResult
from strategies.spec import BacktestSpec

TIME_LIMIT_NAMES = ("SoftTimeLimitExceeded", "TimeLimitExceeded")


def engine_run(
    spec: BacktestSpec,
    series: list[Series],
    *,
    params: dict | None = None,
    trade_from: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    config = RunConfig(
        initial_cash=spec.initial_cash,
        costs=spec.costs,
        sizing=spec.sizing,
        slippage_ticks=spec.slippage_ticks,
        trade_from=trade_from,
        progress=progress,
    )
    return Engine(series, spec.strategy, spec.params if params is None else params, config).run()


def run_and_report(spec: BacktestSpec, series: list[Series], **kwargs) -> tuple[RunResult, dict]:
    result = engine_run(spec, series, **kwargs)
    return result, build_report(result)


def error_text(error: str | None, limit_seconds: int) -> str | None:
    if error and error.split(":", 1)[0] in TIME_LIMIT_NAMES:
        return f"Stopped: the backtest ran longer than {limit_seconds} s (the worker's time limit)."
    return error


class ProgressWriter:
    """Writes progress at most every `every` seconds (and at the end): cheap next to the bars between calls."""

    def __init__(self, write: Callable[[int, int], None], every: float) -> None:
        self.write = write
        self.every = every
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        self.write(done, total)
