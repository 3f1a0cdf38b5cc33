"""The event loop: bars in time order, fills at the open, then the strategy at the close.

For every bar time, across all instruments of the run:

1. orders placed on earlier bars are matched against the new bar (orders.py),
   the strategy hearing of each fill through `on_fill`;
2. each instrument's indicators take the bar, then `on_bar(bar)` runs.

A strategy can only see bars up to the current one: indicators are fed one
bar at a time, `history` and `bar_ago` stop at the current bar, and orders
placed on a bar fill on later bars. Bars are read in chunks from numpy arrays
into plain lists (fast to index, little memory), and the equity curve is
rebuilt afterwards from the fills (numpy), so a bar with nothing happening
costs one strategy call and the indicator updates.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from marketdata import fills
from strategies.base import Strategy
from strategies.indicators import MICRO, to_micro

from .book import Book
from .context import MAX_LOG_LINES, BacktestContext, Bar
from .costs import CostModel
from .data import Series
from .sizing import Sizing

CHUNK = 65536


@dataclass
class RunConfig:
    initial_cash: Decimal = Decimal(1_000_000)
    costs: CostModel = field(default_factory=CostModel)
    sizing: Sizing = field(default_factory=Sizing)
    slippage_ticks: int = 0
    # Epoch seconds: bars before it only warm the strategy up (its orders are ignored) and are not reported.
    trade_from: int | None = None
    progress: Callable[[int, int], None] | None = None


@dataclass
class RunResult:
    series: list[Series]
    book: Book
    timeline: np.ndarray  # epoch seconds of each step (the union of all instruments' bar times)
    steps_done: int
    error: str | None
    logs: list[str]
    seconds: float
    config: RunConfig
    orders: int = 0
    bars_done: int = 0  # over all instruments
    bars_total: int = 0


class Backtest:
    def __init__(self, series: list[Series], strategy: type[Strategy], params: dict, config: RunConfig) -> None:
        if not series or any(len(s) == 0 for s in series):
            raise ValueError("every instrument needs at least one bar")
        self.series = series
        self.strategy_cls = strategy
        self.params = strategy.clean_params(params)
        self.config = config
        self.sizing = config.sizing
        self.slippage = fills.Slippage(ticks=config.slippage_ticks)
        self.book = Book(config.initial_cash, config.costs)
        self.logs: list[str] = []
        self._order_id = 0
        self.contexts: list[BacktestContext] = []
        for s in series:
            position = self.book.add(s)
            position.bar = Bar(s.symbol)
            self.contexts.append(BacktestContext(self, self.book, position, position.bar))
        self.timeline = series[0].times if len(series) == 1 else np.unique(np.concatenate([s.times for s in series]))

    # --- what contexts ask of the run ----------------------------------------------------
    def next_order_id(self) -> int:
        self._order_id += 1
        return self._order_id

    def warming_up(self, epoch: int) -> bool:
        return self.config.trade_from is not None and epoch < self.config.trade_from

    def log(self, line: str) -> None:
        if len(self.logs) < MAX_LOG_LINES:
            self.logs.append(line)

    # --- the loop ------------------------------------------------------------------------
    def run(self) -> RunResult:
        started = time.perf_counter()
        total = len(self.timeline)
        done, error = 0, None
        try:
            for ctx in self.contexts:
                ctx.strategy = self.strategy_cls(ctx, **self.params)
                ctx.strategy.on_start()
            step = self._chunk_single if len(self.contexts) == 1 else self._chunk_multi
            while done < total:
                end = min(done + CHUNK, total)
                step(done, end)
                done = end
                if self.config.progress:
                    self.config.progress(self._bars_seen(), self._bars_total())
            for ctx in self.contexts:
                ctx.strategy.on_stop()
        except Exception as exc:  # a strategy's bug ends its run, never the process running it
            error = self._describe(exc)
            done = self._steps_seen()
        return RunResult(
            self.series,
            self.book,
            self.timeline,
            done,
            error,
            self.logs,
            time.perf_counter() - started,
            self.config,
            self._order_id,
            self._bars_seen(),
            self._bars_total(),
        )

    def _bars_seen(self) -> int:
        return sum(ctx._bar.index + 1 for ctx in self.contexts)

    def _bars_total(self) -> int:
        return sum(len(s) for s in self.series)

    def _describe(self, exc: Exception) -> str:
        where = ""
        for ctx in self.contexts:
            if ctx._bar.index >= 0:
                where = f" at {ctx._bar.time:%Y-%m-%d %H:%M} UTC ({ctx.symbol})"
        return f"{type(exc).__name__}: {exc}"[:500] + where

    def _steps_seen(self) -> int:
        last = max((int(c._series.times[c._bar.index]) for c in self.contexts if c._bar.index >= 0), default=None)
        return 0 if last is None else int(np.searchsorted(self.timeline, last, side="right"))

    def _chunk_single(self, lo: int, hi: int) -> None:
        ctx = self.contexts[0]
        bar = ctx._bar
        on_bar = ctx.strategy.on_bar
        pending = ctx.pending
        match = ctx.match
        close_updaters = ctx.close_updaters
        micro_updaters = ctx.micro_close_updaters
        others = ctx.other_updaters
        i = lo
        for row in _rows(ctx._series, lo, hi):
            if pending:
                match(i, row[0], row[1], row[2])
            bar._row = row
            bar.index = i
            for update in close_updaters:
                update(row[3])
            for update in micro_updaters:
                update(row[6])
            if others:
                _feed_others(others, row)
            on_bar(bar)
            i += 1

    def _chunk_multi(self, lo: int, hi: int) -> None:
        start, end = int(self.timeline[lo]), int(self.timeline[hi - 1])
        lanes = []
        for ctx in self.contexts:
            s = ctx._series
            a = int(np.searchsorted(s.times, start, side="left"))
            b = int(np.searchsorted(s.times, end, side="right"))
            lanes.append((ctx, list(_rows(s, a, b)), a))
        pointers = [0] * len(lanes)
        for t in self.timeline[lo:hi].tolist():
            due = []
            for n, (ctx, rows, base) in enumerate(lanes):
                p = pointers[n]
                if p < len(rows) and rows[p][5] == t:
                    pointers[n] = p + 1
                    due.append((ctx, rows[p], base + p))
                    if ctx.pending:
                        ctx.match(base + p, rows[p][0], rows[p][1], rows[p][2])
            for ctx, row, i in due:
                _close_bar(ctx, row, i)


def _rows(s: Series, lo: int, hi: int):
    """(open, high, low, close, volume, epoch, close in millionths) per bar, from the arrays in one pass."""
    return zip(
        s.open[lo:hi].tolist(),
        s.high[lo:hi].tolist(),
        s.low[lo:hi].tolist(),
        s.close[lo:hi].tolist(),
        s.volume[lo:hi].tolist(),
        s.times[lo:hi].tolist(),
        np.rint(s.close[lo:hi] * MICRO).astype(np.int64).tolist(),
        strict=True,
    )


def _feed_others(others: list, row: tuple) -> None:
    for update, k, exact in others:
        update(to_micro(row[k]) if exact else row[k])


def _close_bar(ctx: BacktestContext, row: tuple, i: int) -> None:
    bar = ctx._bar
    bar._row = row
    bar.index = i
    for update in ctx.close_updaters:
        update(row[3])
    for update in ctx.micro_close_updaters:
        update(row[6])
    if ctx.other_updaters:
        _feed_others(ctx.other_updaters, row)
    ctx.strategy.on_bar(bar)
