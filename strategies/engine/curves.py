"""The equity curve, rebuilt from the fills after the run (numpy), so the loop never computes it per bar.

Equity at a step = cash after that step's fills + each position at the
step's close (the instrument's last close when it had no bar then). Floats
here: the curve is for charts and ratios; the final equity and every trade
are exact Decimals from the book.
"""

import numpy as np

from .runner import RunResult


def equity_curve(result: RunResult) -> tuple[np.ndarray, np.ndarray]:
    """(equity at each step, whether any position was open at the step's close)."""
    steps = result.steps_done
    timeline = result.timeline[:steps]
    cash = np.zeros(steps)
    value = np.zeros(steps)
    exposed = np.zeros(steps, dtype=bool)
    fills_by_lane: dict[int, list] = {}
    for fill in result.book.fills:
        fills_by_lane.setdefault(fill.lane, []).append(fill)
    for lane, fills in fills_by_lane.items():
        series = result.series[lane]
        index = np.array([f.index for f in fills])
        qty_delta = np.zeros(len(series))
        np.add.at(qty_delta, index, [f.quantity for f in fills])
        quantity = np.cumsum(qty_delta)
        step_of_fill = np.searchsorted(timeline, series.times[index])
        flows = np.array([-float(f.quantity * f.price + f.charges) for f in fills])
        keep = step_of_fill < steps
        np.add.at(cash, step_of_fill[keep], flows[keep])
        bar_at_step = np.searchsorted(series.times, timeline, side="right") - 1
        held = bar_at_step >= 0
        value[held] += quantity[bar_at_step[held]] * series.close[bar_at_step[held]]
        exposed[held] |= quantity[bar_at_step[held]] != 0
    return float(result.book.initial_cash) + np.cumsum(cash) + value, exposed


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Fraction below the running peak at each step (0 or negative)."""
    peak = np.maximum.accumulate(equity)
    return equity / peak - 1.0


def downsample(values: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most `limit` points keeping each bucket's lowest and highest (drawdowns stay visible)."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    size = -(-n // max(1, limit // 2 - 1))
    padded = np.concatenate([values, np.full(-n % size, values[-1])]).reshape(-1, size)
    offsets = np.arange(len(padded)) * size
    keep = np.concatenate([[0, n - 1], offsets + padded.argmin(axis=1), offsets + padded.argmax(axis=1)])
    return np.unique(np.minimum(keep, n - 1))
