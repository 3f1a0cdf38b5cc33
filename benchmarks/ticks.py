"""Ticks processed per second (quote update + candle aggregation) by marketdata.ticks.TickProcessor.

Target: at least 20,000 ticks/s at 100 instruments on one core, and a per-tick
cost that does not grow with the number of instruments (ns/tick at 10,000
instruments at most 1.5x that at 100).

Pure in-memory: no database, no Django setup (ticks.py imports only the
interval and bus modules). For each instrument count the same number of ticks
is pre-generated outside the timed region: a random walk per instrument on a
0.05 grid (Decimal, with bid/ask), each instrument ticking as a Poisson stream
of 4 ticks/s, so every size sees the same expected rate of candle roll-overs
per tick, and candles roll over minute (and 5m, 15m, hour) boundaries. (At
10,000 instruments 300k ticks span only 7.5 s of market time, so that size
crosses no minute boundary; a roll-over happens on ~0.4% of ticks elsewhere.)
Every instrument is seen once before timing starts, so the timed region is the
steady state; the first-sight cost is reported separately.

Timed: only `process()` calls, and separately `drain()` every 0.25 s of
simulated time (what the feed does). Sizes run interleaved in every
repetition so drift affects them equally; best and median are reported. The
verdict uses medians: ticks/s at 100 instruments over the repetitions, and
the median of each repetition's own 10,000-vs-100 ratio (both sizes measured
back to back, so load on the shared machine touches both alike).

    .venv/bin/python benchmarks/ticks.py [--ticks 300000] [--repeats 5] [--sizes 10,100,1000,10000]
"""

import argparse
import gc
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks._common import Scratch, machine_info, pin_to_one_core, progress, run  # noqa: E402
from marketdata.bus import Tick  # noqa: E402
from marketdata.ticks import TickProcessor  # noqa: E402

NAME = "ticks"
TARGET_TICKS_PER_SECOND = 20_000  # at 100 instruments
TARGET_GROWTH_RATIO = 1.5  # ns/tick at 10,000 instruments / ns/tick at 100
TICKS_PER_SECOND_PER_INSTRUMENT = 4.0
FLUSH_EVERY = 0.25  # seconds of simulated time between drains, as the feed flushes
GRID = Decimal("0.05")
# 09:15 IST on a Monday: the session opens, minute/5m/15m/hour candles roll over as time advances.
SESSION_OPEN = datetime(2026, 1, 5, 3, 45, tzinfo=UTC).timestamp()
WARM_UP = 0.01  # seconds of simulated time at the open in which every instrument ticks once, untimed


def generate(instruments: int, total: int, seed: int) -> tuple[list[Tick], list[list[Tick]]]:
    """(warm-up ticks: one per instrument, timed-stream ticks split at every flush point)."""
    rng = random.Random(seed)
    steps = [rng.randint(200, 60_000) for _ in range(instruments)]  # prices in 0.05 steps: 10 to 3,000 rupees
    spreads = [1 + rng.randrange(3) for _ in range(instruments)]

    def tick(iid: int, ts: float) -> Tick:
        # Fresh Decimals for every tick, allocated in stream order, as a feed parsing the wire makes them.
        i = iid - 1
        steps[i] = max(1 + spreads[i], steps[i] + rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 2)))
        return Tick(
            iid,
            Decimal(steps[i]) * GRID,
            ts,
            rng.randint(1, 500),
            Decimal(steps[i] - spreads[i]) * GRID,
            Decimal(steps[i] + spreads[i]) * GRID,
        )

    # Warm-up: every instrument ticks once in the first 10 ms of the session (untimed), so
    # the timed stream neither pays first sight nor an artificial roll-over of every candle.
    warm = [tick(iid, SESSION_OPEN + WARM_UP * iid / (instruments + 1)) for iid in range(1, instruments + 1)]
    chunks: list[list[Tick]] = []
    chunk: list[Tick] = []
    ts = SESSION_OPEN + WARM_UP
    boundary = ts + FLUSH_EVERY
    aggregate_rate = instruments * TICKS_PER_SECOND_PER_INSTRUMENT
    for _ in range(total):
        ts += rng.expovariate(aggregate_rate)  # Poisson arrivals; uniform instrument choice
        while ts >= boundary:
            chunks.append(chunk)
            chunk = []
            boundary += FLUSH_EVERY
        chunk.append(tick(rng.randrange(instruments) + 1, ts))
    chunks.append(chunk)
    return warm, chunks


def run_once(warm: list[Tick], chunks: list[list[Tick]]) -> dict:
    processor = TickProcessor()
    t0 = time.perf_counter_ns()
    for t in warm:
        processor.process(t)
    first_sight_ns = time.perf_counter_ns() - t0
    processor.drain()

    process, drain, clock = processor.process, processor.drain, time.perf_counter_ns
    process_ns = drain_ns = drained_quotes = drained_candles = 0
    gc.collect()
    for chunk in chunks:
        t0 = clock()
        for t in chunk:
            process(t)
        t1 = clock()
        quotes, candles = drain()
        t2 = clock()
        process_ns += t1 - t0
        drain_ns += t2 - t1
        drained_quotes += len(quotes)
        drained_candles += len(candles)
    return {
        "processed": processor.ticks - len(warm),
        "process_ns": process_ns,
        "drain_ns": drain_ns,
        "drains": len(chunks),
        "drained_quotes": drained_quotes,
        "drained_candles": drained_candles,
        "first_sight_ns": first_sight_ns,
    }


def timer_overhead_ns() -> float:
    """Cost of one pair of perf_counter_ns calls (paid once per chunk, i.e. per drain)."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(5):
        t0 = clock()
        for _ in range(100_000):
            clock()
            clock()
        samples.append((clock() - t0) / 100_000)
    return min(samples)


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=300_000, help="ticks per run, the same for every size")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--seed", type=int, default=20260105)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if 100 not in sizes or 10_000 not in sizes:
        parser.error("--sizes must include 100 and 10000 (the targets compare them)")

    # No database is needed; Scratch only isolates TRADING_VAR_DIR in case anything reads it.
    with Scratch(NAME, django_setup=False) as scratch:
        cpu = pin_to_one_core()
        progress(f"pinned to CPU {cpu}; generating {args.ticks:,} ticks for each of {sizes} instruments")
        streams = {}
        for size in sizes:
            streams[size] = generate(size, args.ticks, args.seed + size)
        # The pre-generated ticks live for the whole run: keep the collector from scanning
        # them again and again (an artefact of pre-generation, not of the processor).
        gc.collect()
        gc.freeze()

        results: dict[int, list[dict]] = {size: [] for size in sizes}
        for rep in range(args.repeats):
            order = sizes[rep % len(sizes) :] + sizes[: rep % len(sizes)]  # rotate the order each repetition
            for size in order:
                results[size].append(run_once(*streams[size]))
            progress(f"repetition {rep + 1}/{args.repeats} done")
        overhead = timer_overhead_ns()
        backend = scratch.backend_info()

    per_size = {}
    for size in sizes:
        runs = results[size]
        chunks = streams[size][1]
        simulated = chunks[-1][-1].ts - SESSION_OPEN - WARM_UP if chunks[-1] else len(chunks) * FLUSH_EVERY
        ns_per_tick = [r["process_ns"] / r["processed"] for r in runs]
        drain_per_tick = [r["drain_ns"] / r["processed"] for r in runs]
        both_per_tick = [(r["process_ns"] + r["drain_ns"]) / r["processed"] for r in runs]
        last = runs[-1]
        per_size[str(size)] = {
            "instruments": size,
            "ticks": last["processed"],
            "simulated_seconds": round(simulated, 1),
            "ns_per_tick_median": round(statistics.median(ns_per_tick), 1),
            "ns_per_tick_best": round(min(ns_per_tick), 1),
            "ticks_per_second_median": round(1e9 / statistics.median(ns_per_tick)),
            "ticks_per_second_best": round(1e9 / min(ns_per_tick)),
            "drain": {
                "calls": last["drains"],
                "quote_rows": last["drained_quotes"],
                "candle_rows": last["drained_candles"],
                "us_per_call_median": round(statistics.median(r["drain_ns"] / r["drains"] for r in runs) / 1000, 2),
                "ns_per_quote_row_median": round(
                    statistics.median(r["drain_ns"] / max(1, r["drained_quotes"]) for r in runs), 1
                ),
                "ns_per_tick_median": round(statistics.median(drain_per_tick), 1),
            },
            "process_plus_drain_ticks_per_second_median": round(1e9 / statistics.median(both_per_tick)),
            "first_sight_ns_per_instrument_median": round(
                statistics.median(r["first_sight_ns"] / size for r in runs), 1
            ),
            "ns_per_tick_all_runs": [round(v, 1) for v in ns_per_tick],
        }

    at_100, at_10k = per_size["100"], per_size["10000"]
    ratios = [a / b for a, b in zip(at_10k["ns_per_tick_all_runs"], at_100["ns_per_tick_all_runs"], strict=True)]
    ratio_median = statistics.median(ratios)
    ratio_best = at_10k["ns_per_tick_best"] / at_100["ns_per_tick_best"]
    tps_100 = at_100["ticks_per_second_median"]
    passed_tps = tps_100 >= TARGET_TICKS_PER_SECOND
    passed_ratio = ratio_median <= TARGET_GROWTH_RATIO
    figures = {
        "config": {
            "ticks_per_run": args.ticks,
            "repeats": args.repeats,
            "ticks_per_second_per_instrument_simulated": TICKS_PER_SECOND_PER_INSTRUMENT,
            "drain_every_simulated_seconds": FLUSH_EVERY,
            "pinned_cpu": cpu,
            "timer_overhead_ns_per_drain_interval": round(overhead, 1),
            "verdict_uses": "medians of the repetitions (per-repetition ratios for the growth target)",
        },
        "backend": backend,
        "machine": machine_info(),
        "sizes": per_size,
        "targets": {
            "ticks_per_second_at_100": {
                "value": tps_100,
                "best": at_100["ticks_per_second_best"],
                "target": f">= {TARGET_TICKS_PER_SECOND}",
                "pass": passed_tps,
            },
            "ns_per_tick_ratio_10000_vs_100": {
                "value": round(ratio_median, 3),
                "by_repetition": [round(r, 3) for r in ratios],
                "best_over_best": round(ratio_best, 3),
                "target": f"<= {TARGET_GROWTH_RATIO}",
                "pass": passed_ratio,
            },
        },
    }
    summary = (
        f"median of {args.repeats} repetitions: {tps_100:,} ticks/s at 100 instruments "
        f"(target >= {TARGET_TICKS_PER_SECOND:,}); ns/tick 10000 vs 100 instruments x{ratio_median:.2f} "
        f"(target <= {TARGET_GROWTH_RATIO})"
    )
    return figures, passed_tps and passed_ratio, summary


if __name__ == "__main__":
    run(NAME, main)
