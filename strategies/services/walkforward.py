"""Walk-forward: optimise on a training window, trade the best parameters on the next window, roll.

Each window is one task: it runs the whole grid on its training bars, picks
the best by the sweep's metric, then runs those parameters on the test
window (warmed up on the training bars, trading only in the test window).
When the last window is done, the out-of-sample equity is stitched across
the test windows, beside the equity the in-sample results promised (each
window's in-sample CAGR compounded over its test window): the gap between
the two lines is how much the optimisation fitted noise.
"""

import logging
import math
from datetime import timedelta

from core.errors import RuleViolation
from strategies.data import series_load
from strategies.engine.curves import downsample
from strategies.errors import SpecInvalid
from strategies.models import Sweep, SweepMode, SweepResult
from strategies.spec import BacktestSpec, spec_from_row

from .dispatch import tasks_queue_on_commit
from .running import run_and_report
from .sweep_rows import (
    _check_work,
    _save_result,
    _store,
    grid_combinations,
    score_of,
    sweep_claim,
    sweep_finish_if_complete,
)

log = logging.getLogger(__name__)
MAX_WINDOWS = 50
YEAR = 365.25 * 86400
MAX_POINTS = 2000


def _windows(spec: BacktestSpec, options) -> list[dict]:
    if not isinstance(options, dict) or set(options) - {"train_days", "test_days"}:
        raise SpecInvalid("`walk_forward` takes train_days and test_days.", field="walk_forward")
    days = {}
    for name in ("train_days", "test_days"):
        value = options.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3650:
            raise SpecInvalid(
                f"walk_forward.{name} must be a whole number of days, 1 to 3650.", field=f"walk_forward.{name}"
            )
        days[name] = value
    train, test = timedelta(days=days["train_days"]), timedelta(days=days["test_days"])
    windows, start = [], spec.start
    while start + train < spec.end:
        test_end = min(start + train + test, spec.end)
        windows.append(
            {
                "train_start": int(start.timestamp()),
                "test_start": int((start + train).timestamp()),
                "test_end": int(test_end.timestamp()),
            }
        )
        start += test
    if not windows:
        raise RuleViolation(
            "The period is shorter than one training window.", code="invalid_range", field="walk_forward.train_days"
        )
    if len(windows) > MAX_WINDOWS:
        raise RuleViolation(
            f"{len(windows)} windows; at most {MAX_WINDOWS}. Use longer test windows.",
            code="sweep_too_large",
            field="walk_forward.test_days",
        )
    return {**days, "windows": windows}


def walkforward_create(*, user, spec: BacktestSpec, combos, grid, metric, label, options) -> Sweep:
    plan = _windows(spec, options)
    _check_work(len(combos), spec.bars, max(1, math.ceil(plan["train_days"] / plan["test_days"])))
    total = len(plan["windows"])
    sweep = _store(user, spec, combos, grid, metric, label, SweepMode.WALK_FORWARD, total, walk_forward=plan)
    SweepResult.objects.bulk_create(SweepResult(sweep=sweep, index=i) for i in range(total))
    tasks_queue_on_commit("walkforward_run_window", [(sweep.id, i) for i in range(total)])
    return sweep


def walkforward_run_window(*, sweep_id: int, index: int) -> None:
    sweep = sweep_claim(sweep_id)
    if sweep is None:
        return
    row = sweep.results.filter(index=index, metrics__isnull=True, error="").first()
    if row is None:
        sweep_finish_if_complete(sweep_id, summary=walkforward_summary)
        return
    window = sweep.walk_forward["windows"][index]
    try:
        params, metrics, detail, score = _optimise_and_test(sweep, window)
        error = ""
    except Exception as exc:  # the window is recorded as failed; the others still run
        log.exception("walk-forward %s window %s failed", sweep_id, index)
        params, metrics, detail, score, error = {}, None, None, None, f"{type(exc).__name__}: {exc}"[:500]
    _save_result(sweep, row, metrics, error, detail=detail, score=score, params=params)
    sweep_finish_if_complete(sweep_id, summary=walkforward_summary)


def _optimise_and_test(sweep: Sweep, window: dict):
    spec = spec_from_row(sweep)
    series = series_load(spec.instruments, spec.interval, spec.start, spec.end)
    train = [s.window(window["train_start"], window["test_start"]) for s in series]
    if any(len(s) == 0 for s in train):
        raise ValueError("no bars in the training window")
    best, best_score, best_metrics = None, None, None
    for params in grid_combinations(spec.strategy, sweep.params, sweep.grid):
        result, report = run_and_report(spec, train, params=params)
        score = None if result.error else score_of(report["metrics"], sweep.metric)
        if best is None or (score is not None and (best_score is None or score > best_score)):
            best, best_score, best_metrics = params, score, report["metrics"]
    test = [s.window(window["train_start"], window["test_end"]) for s in series]
    result, report = run_and_report(spec, test, params=best, trade_from=window["test_start"])
    if result.error:
        raise RuntimeError(result.error)
    metrics = {"in_sample": best_metrics, "out_of_sample": report["metrics"]}
    detail = {**window, "oos_equity": report["equity"]}
    return best, metrics, detail, score_of(report["metrics"], sweep.metric)


def _window_row(row: SweepResult) -> dict:
    detail, metrics = row.detail or {}, row.metrics or {}
    return {
        "index": row.index,
        "params": row.params,
        "error": row.error,
        **{k: detail.get(k) for k in ("train_start", "test_start", "test_end")},
        "in_sample": metrics.get("in_sample") or {},
        "out_of_sample": metrics.get("out_of_sample") or {},
    }


def walkforward_summary(sweep: Sweep) -> dict:
    """Stitched out-of-sample equity, the in-sample promise beside it, and the per-window table."""
    cash = float(sweep.initial_cash)
    oos_value, promised_value = cash, cash
    times, oos, promised, windows = [], [], [], []
    for row in sweep.results.order_by("index"):
        windows.append(_window_row(row))
        curve = (row.detail or {}).get("oos_equity") or {}
        if not curve.get("time"):
            continue
        growth = (windows[-1]["in_sample"].get("cagr") or 0.0) / 100
        values = [float(v) for v in curve["equity"]]
        t0 = curve["time"][0]
        for t, v in zip(curve["time"], values, strict=True):
            times.append(t)
            oos.append(oos_value * v / values[0])
            promised.append(promised_value * (1 + growth) ** ((t - t0) / YEAR) if growth > -1 else 0.0)
        oos_value, promised_value = oos[-1], promised[-1]
    keep = downsample(_array(oos), MAX_POINTS) if oos else []
    return {
        "windows": windows,
        "equity": {
            "time": [times[i] for i in keep],
            "out_of_sample": [f"{oos[i]:.2f}" for i in keep],
            "in_sample_promise": [f"{promised[i]:.2f}" for i in keep],
        },
        "out_of_sample_return": round(100 * (oos_value / cash - 1), 4),
        "in_sample_promise_return": round(100 * (promised_value / cash - 1), 4),
    }


def _array(values):
    import numpy as np

    return np.asarray(values, dtype=float)
