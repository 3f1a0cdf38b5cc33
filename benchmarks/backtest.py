"""Backtest speed: SMA crossover bars per second, ours beside backtesting.py on the same data, same trades.

Target: at least 3x backtesting.py's bars/s on the same strategy and data
with identical trades (on 1,000,000 generated one-minute bars and on a real
daily series, GOOG as backtesting.py ships it), 1,000,000 bars in under 5 s,
peak memory of a process running that backtest under 500 MB, and a cost per
bar that does not grow with the number of bars (ns/bar at 1M within 1.3x of
that at 250k).

Both sides run the same strategy: buy all-in when the 10-bar simple moving
average of the close crosses above the 20-bar one, close when it crosses
below; market orders at the next bar's open, no costs, whole units. Both
average the decimal prices exactly (see tests/strategies/reference.py). Ours
is the `sma_crossover` class that also runs live, event-driven, one bar at a
time; the timed region is `Backtest(...).run()` plus the report for ours and
`Backtest(...).run()` (which computes its statistics) for backtesting.py,
data already in memory. Rounds alternate ours and theirs; the medians decide.

Minute bars: a seeded random walk on a 0.05 tick, 375 bars per IST session
(09:15-15:30), weekdays. Memory is measured in a child process that does only
our 1M-bar backtest (peak RSS, the interpreter and libraries included).

    .venv/bin/python benchmarks/backtest.py [--bars 1000000] [--rounds 3] [--daily-repeats 20]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trading.settings")
# No database or queue is touched; the settings still want a var folder, so give them a scratch one.
os.environ.setdefault("TRADING_VAR_DIR", tempfile.mkdtemp(prefix="bench-backtest-"))

import django  # noqa: E402

from benchmarks._common import machine_info, pin_to_one_core, production_like_env, progress, run  # noqa: E402

if os.environ.get("DEBUG") != "1":  # as `make bench` runs it: DEBUG off needs (throwaway) keys
    os.environ.update(production_like_env())

django.setup()

import numpy as np  # noqa: E402

from strategies.engine.data import Series, series_from_frame  # noqa: E402
from strategies.engine.report import build_report  # noqa: E402
from strategies.engine.runner import Backtest, RunConfig  # noqa: E402
from strategies.engine.sizing import Sizing  # noqa: E402
from strategies.registry import strategy_get  # noqa: E402

NAME = "backtest"
TARGET_SPEEDUP = 3.0
TARGET_SECONDS_1M = 5.0
TARGET_MEMORY_MB = 500
TARGET_LINEARITY = 1.3
CASH = 1_000_000
PARAMS = {"fast": 10, "slow": 20}
SESSION_BARS = 375
TICK = 0.05


def minute_bars(count: int, seed: int = 11) -> Series:
    rng = np.random.default_rng(seed)
    days = -(-count // SESSION_BARS)
    first_day = np.datetime64("2015-01-05")  # a Monday
    day_list = np.busday_offset(first_day, np.arange(days), roll="forward")
    session_open = (day_list.astype("datetime64[s]").astype(np.int64) + 3 * 3600 + 45 * 60)[:, None]
    times = (session_open + 60 * np.arange(SESSION_BARS)[None, :]).ravel()[:count]
    ticks = 20_000 + np.cumsum(rng.choice([-2, -1, 0, 1, 2], size=count, p=[0.1, 0.25, 0.3, 0.25, 0.1]))
    ticks = np.maximum(ticks, 200)
    close = ticks * TICK
    open_ = np.r_[close[0], close[:-1]] + rng.integers(-1, 2, count) * TICK
    high = np.maximum(open_, close) + rng.integers(0, 3, count) * TICK
    low = np.minimum(open_, close) - rng.integers(0, 3, count) * TICK
    rounded = [np.round(a, 2) for a in (open_, high, low, close)]
    return Series("NSE:SYNTH-EQ", times, *rounded, rng.integers(100, 10_000, count), 1, Decimal("0.05"))


def frame_of(series: Series):
    import pandas as pd

    return pd.DataFrame(
        {"Open": series.open, "High": series.high, "Low": series.low, "Close": series.close, "Volume": series.volume},
        index=pd.to_datetime(series.times, unit="s"),
    )


def run_ours(series: Series):
    config = RunConfig(initial_cash=Decimal(CASH), sizing=Sizing("percent_equity", Decimal(100)))
    result = Backtest([series], strategy_get("sma_crossover"), PARAMS, config).run()
    report = build_report(result)
    if result.error:
        raise RuntimeError(result.error)
    return result, report


def run_theirs(frame):
    # Imported here: the memory probe's process should hold our engine, not pandas and backtesting.py.
    from tests.strategies.reference import SmaCross, run_reference

    return run_reference(frame, SmaCross, CASH, fast=PARAMS["fast"], slow=PARAMS["slow"])


def same_trades(result, stats) -> tuple[bool, int]:
    ours = [
        (t.entry_index, t.exit_index, t.quantity, float(t.entry_price), float(t.exit_price)) for t in result.book.trades
    ]
    theirs = [
        (int(t.EntryBar), int(t.ExitBar), int(t.Size), float(t.EntryPrice), float(t.ExitPrice))
        for t in stats["_trades"].itertuples()
    ]
    final_equal = abs(float(result.book.equity()) - float(stats["Equity Final [$]"])) < 0.01
    return ours == theirs and final_equal, len(ours)


def timed(fn, repeats: int = 1) -> tuple[float, object]:
    started = time.perf_counter()
    for _ in range(repeats):
        out = fn()
    return (time.perf_counter() - started) / repeats, out


def compare(label: str, series: Series, rounds: int, repeats: int) -> dict:
    frame = frame_of(series)
    ours_s, theirs_s = [], []
    identical, trades = True, 0
    for r in range(rounds):
        order = [("ours", series), ("theirs", frame)] if r % 2 == 0 else [("theirs", frame), ("ours", series)]
        results = {}
        for who, data in order:
            seconds, out = timed(
                (lambda d=data: run_ours(d)) if who == "ours" else (lambda d=data: run_theirs(d)), repeats
            )
            (ours_s if who == "ours" else theirs_s).append(seconds)
            results[who] = out
            progress(f"{label} round {r + 1}/{rounds} {who}: {len(series) / seconds:,.0f} bars/s")
        equal, trades = same_trades(results["ours"][0], results["theirs"])
        identical &= equal
    ours_rate = len(series) / statistics.median(ours_s)
    theirs_rate = len(series) / statistics.median(theirs_s)
    return {
        "bars": len(series),
        "trades": trades,
        "identical_trades": identical,
        "ours_bars_per_s": round(ours_rate),
        "backtesting_py_bars_per_s": round(theirs_rate),
        "speedup": round(ours_rate / theirs_rate, 2),
        "ours_median_s": round(statistics.median(ours_s), 4),
        "backtesting_py_median_s": round(statistics.median(theirs_s), 4),
        "ours_rounds_s": [round(s, 4) for s in ours_s],
        "backtesting_py_rounds_s": [round(s, 4) for s in theirs_s],
    }


def linearity(bars: int, rounds: int) -> dict:
    sizes = [bars // 4, bars // 2, bars]
    data = {n: minute_bars(n) for n in sizes}
    per_bar = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            seconds, _ = timed(lambda n=n: run_ours(data[n]))
            per_bar[n].append(seconds / n * 1e9)
    ns = {str(n): round(statistics.median(v), 1) for n, v in per_bar.items()}
    return {"ns_per_bar": ns, "ratio_largest_to_smallest": round(ns[str(sizes[-1])] / ns[str(sizes[0])], 3)}


def memory_probe(bars: int) -> None:
    """Child process: one 1M-bar backtest, then print its peak RSS in MB.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child would
    report the parent's peak (pandas, backtesting.py and its results) instead of its own.
    """
    result, _ = run_ours(minute_bars(bars))
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    print(peak_kb / 1024, len(result.book.trades))


def measure_memory(bars: int) -> float:
    done = subprocess.run(
        [sys.executable, __file__, "--memory-probe", "--bars", str(bars)], capture_output=True, text=True, check=True
    )
    return round(float(done.stdout.split()[0]), 1)


def main(args) -> tuple[dict, bool, str]:
    cpu = pin_to_one_core()
    from backtesting.test import GOOG

    progress(f"generating {args.bars:,} minute bars")
    minute = compare("minute", minute_bars(args.bars), args.rounds, 1)
    daily = compare("daily GOOG", series_from_frame(GOOG, "GOOG"), args.rounds + 2, args.daily_repeats)
    progress("linearity: 1/4, 1/2 and all of the bars")
    linear = linearity(args.bars, args.rounds)
    progress("memory: a child process running the 1M-bar backtest")
    memory_mb = measure_memory(args.bars)
    checks = {
        "minute_identical": minute["identical_trades"],
        "daily_identical": daily["identical_trades"],
        "minute_speedup": minute["speedup"] >= TARGET_SPEEDUP,
        "daily_speedup": daily["speedup"] >= TARGET_SPEEDUP,
        "seconds_1m": args.bars < 1_000_000 or minute["ours_median_s"] < TARGET_SECONDS_1M,
        "memory": memory_mb < TARGET_MEMORY_MB,
        "linear": linear["ratio_largest_to_smallest"] <= TARGET_LINEARITY,
    }
    figures = {
        "targets": {
            "speedup": TARGET_SPEEDUP,
            "seconds_1m": TARGET_SECONDS_1M,
            "memory_mb": TARGET_MEMORY_MB,
            "linearity": TARGET_LINEARITY,
        },
        "minute": minute,
        "daily_goog": daily,
        "linearity": linear,
        "peak_rss_mb_1m_backtest": memory_mb,
        "checks": checks,
        "pinned_cpu": cpu,
        "machine": machine_info(),
    }
    summary = (
        f"minute {minute['ours_bars_per_s']:,} vs {minute['backtesting_py_bars_per_s']:,} bars/s "
        f"(x{minute['speedup']}), "
        f"{args.bars:,} bars in {minute['ours_median_s']} s; daily GOOG {daily['ours_bars_per_s']:,} vs "
        f"{daily['backtesting_py_bars_per_s']:,} (x{daily['speedup']}); identical trades "
        f"{minute['identical_trades'] and daily['identical_trades']}; {memory_mb} MB; "
        f"ns/bar 1M vs 1/4 x{linear['ratio_largest_to_smallest']}"
    )
    return figures, all(checks.values()), summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--daily-repeats", type=int, default=20)
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.memory_probe:
        memory_probe(arguments.bars)
    else:
        run(NAME, lambda: main(arguments))
