"""Scrip master import: 150,000 Angel One rows into the scratch database, three times.

Target: each import under 30 s, with the right counts:

1. into the empty database: created = every row;
2. the same file again: unchanged = every row (the no-op path);
3. the file with ~2% of the rows changed (lot sizes): updated = the changed rows.

The file is generated (seeded, so every run imports the same bytes) in the
format marketdata/scripmaster.py reads and marketdata/demo/scrip_master.json
shows: all values strings; NSE/BSE equities ("-EQ") and indices, NFO/BFO index
and stock futures and options, MCX commodity futures and options, CDS currency
futures and options; expiry like "29DEC2026", strike and tick size in paise
("2550000.000000", "-1.000000" for none, "5.000000"); unique (exch_seg, token)
and (exch_seg, symbol). It is generated outside the timed region; each timed
run is one `instruments_import(data=bytes)` call, parsing included. Other
work on the (shared) machine is metered per import: `interference` in the JSON.

    .venv/bin/python benchmarks/import_instruments.py [--rows 150000] [--changed-ratio 0.02]
"""

import argparse
import calendar
import json
import os
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks._common import (  # noqa: E402
    Scratch,
    current_rss_mb,
    machine_info,
    peak_rss_mb,
    progress,
    run,
)
from benchmarks._cpu import CpuMeter, interference  # noqa: E402

NAME = "import_instruments"
TARGET_SECONDS = 30.0

# Share of the file per segment and instrument type, roughly as in Angel One's real scrip master
# (options dominate). Whatever rounding leaves over goes to NFO stock options.
MIX = [
    ("NSE", "AMXIDX", 0.0007),
    ("NSE", "", 0.0160),
    ("BSE", "AMXIDX", 0.0003),
    ("BSE", "", 0.0660),
    ("NFO", "FUTIDX", 0.0001),
    ("NFO", "FUTSTK", 0.0040),
    ("NFO", "OPTIDX", 0.2700),
    ("BFO", "FUTIDX", 0.0001),
    ("BFO", "OPTIDX", 0.1000),
    ("MCX", "FUTCOM", 0.0010),
    ("MCX", "OPTFUT", 0.0950),
    ("CDS", "FUTCUR", 0.0005),
    ("CDS", "OPTCUR", 0.0650),
    ("NFO", "OPTSTK", None),  # the rest
]
INDICES = {
    "NFO": [
        ("NIFTY", 25_000, 50, 75),
        ("BANKNIFTY", 55_000, 100, 35),
        ("FINNIFTY", 26_000, 50, 65),
        ("MIDCPNIFTY", 13_000, 25, 140),
    ],
    "BFO": [("SENSEX", 82_000, 100, 20), ("BANKEX", 62_000, 100, 30)],
}
COMMODITIES = [
    ("GOLD", 72_000, 100, 1),
    ("SILVER", 88_000, 250, 1),
    ("CRUDEOIL", 6_500, 50, 100),
    ("NATURALGAS", 250, 5, 1250),
    ("COPPER", 800, 5, 2500),
    ("ZINC", 260, 2.5, 5000),
]
CURRENCIES = [
    ("USDINR", 84.0, 0.25, 1000),
    ("EURINR", 91.0, 0.25, 1000),
    ("GBPINR", 107.0, 0.25, 1000),
    ("JPYINR", 56.0, 0.25, 1000),
]


def _paise(rupees: float) -> str:
    return f"{round(rupees * 100, 4):.6f}"


def _expiries(count: int) -> list[date]:
    """Month-end Thursdays from Dec 2026, like NSE monthly expiries (deterministic)."""
    out = []
    year, month = 2026, 12
    while len(out) < count:
        last = calendar.monthrange(year, month)[1]
        day = max(d for d in range(last - 6, last + 1) if date(year, month, d).weekday() == 3)
        out.append(date(year, month, day))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _names(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    names = []
    while len(names) < count:
        name = "".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def generate_scrip_master(rows: int, seed: int) -> list[dict]:
    """`rows` Angel One scrip master rows, all values strings, unique tokens and symbols per segment."""
    rng = random.Random(seed)
    expiries = _expiries(12)
    taken: set[str] = {n for group in INDICES.values() for n, *_ in group}
    taken |= {n for n, *_ in COMMODITIES + CURRENCIES}
    stocks = _names(rng, max(2_000, rows // 10), taken)
    fno_stocks = stocks[:220]
    next_token: dict[str, int] = {}

    def row(exch, symbol, name, itype, lot, tick_paise, expiry="", strike="-1.000000"):
        token = next_token.get(exch, 10_000 + 100_000 * len(next_token))
        next_token[exch] = token + 1
        return {
            "token": str(token),
            "symbol": symbol,
            "name": name,
            "expiry": expiry,
            "strike": strike,
            "lotsize": str(lot),
            "instrumenttype": itype,
            "exch_seg": exch,
            "tick_size": tick_paise,
        }

    def exp_text(d: date) -> str:
        return d.strftime("%d%b%Y").upper()  # 29DEC2026

    def sym_date(d: date) -> str:
        return d.strftime("%d%b%y").upper()  # 29DEC26

    def options(exch, underlyings, itype):
        """Endless option rows: every underlying x expiry x strike ladder x CE/PE."""
        for width in range(1, 10_000):  # widen the strike ladder until enough rows were taken
            for name, spot, step, lot in underlyings:
                for expiry in expiries:
                    for side in (-1, 1) if width > 1 else (0,):
                        strike = spot + side * (width - 1) * step
                        if strike <= 0:
                            continue
                        text = f"{strike:g}".replace(".", "")  # no dots in symbols
                        for right in ("CE", "PE"):
                            yield row(
                                exch,
                                f"{name}{sym_date(expiry)}{text}{right}",
                                name,
                                itype,
                                lot,
                                "5.000000" if exch != "CDS" else "0.250000",
                                exp_text(expiry),
                                _paise(strike),
                            )

    def futures(exch, underlyings, itype):
        for expiry in expiries:
            for name, _spot, _, lot in underlyings:
                tick = "5.000000" if exch != "CDS" else "0.250000"
                yield row(exch, f"{name}{sym_date(expiry)}FUT", name, itype, lot, tick, exp_text(expiry))

    def equities(exch, names):
        for name in names:
            yield row(exch, f"{name}-EQ", name, "", 1, "5.000000" if rng.random() < 0.8 else "1.000000")

    def indices(exch):
        for number in range(1, 10_000):
            label = f"Index {number:04d}"
            yield row(exch, label, label.upper(), "AMXIDX", 1, "0.000000", strike="0.000000")

    stock_underlyings = [
        (n, rng.randint(100, 5_000), rng.choice((5, 10, 20, 50)), rng.randint(1, 30) * 25) for n in fno_stocks
    ]
    sources = {
        ("NSE", "AMXIDX"): indices("NSE"),
        ("NSE", ""): equities("NSE", stocks[: len(stocks) // 5]),
        ("BSE", "AMXIDX"): indices("BSE"),
        ("BSE", ""): equities("BSE", stocks),
        ("NFO", "FUTIDX"): futures("NFO", INDICES["NFO"], "FUTIDX"),
        ("NFO", "FUTSTK"): futures("NFO", stock_underlyings, "FUTSTK"),
        ("NFO", "OPTIDX"): options("NFO", INDICES["NFO"], "OPTIDX"),
        ("BFO", "FUTIDX"): futures("BFO", INDICES["BFO"], "FUTIDX"),
        ("BFO", "OPTIDX"): options("BFO", INDICES["BFO"], "OPTIDX"),
        ("MCX", "FUTCOM"): futures("MCX", COMMODITIES, "FUTCOM"),
        ("MCX", "OPTFUT"): options("MCX", COMMODITIES, "OPTFUT"),
        ("CDS", "FUTCUR"): futures("CDS", CURRENCIES, "FUTCUR"),
        ("CDS", "OPTCUR"): options("CDS", CURRENCIES, "OPTCUR"),
        ("NFO", "OPTSTK"): options("NFO", stock_underlyings, "OPTSTK"),
    }
    out: list[dict] = []
    for exch, itype, share in MIX:
        want = rows - len(out) if share is None else round(rows * share)
        source = sources[(exch, itype)]
        for _ in range(want):
            try:
                out.append(next(source))
            except StopIteration:
                break
    rng.shuffle(out)  # the real file is not sorted either
    return out


def check_unique(rows: list[dict]) -> None:
    tokens = {(r["exch_seg"], r["token"]) for r in rows}
    symbols = {(r["exch_seg"], r["symbol"]) for r in rows}
    if len(tokens) != len(rows) or len(symbols) != len(rows):
        raise RuntimeError(f"generator bug: {len(rows)} rows, {len(tokens)} tokens, {len(symbols)} symbols")


def timed_import(label: str, data: bytes) -> dict:
    from marketdata.services import instruments_import

    marks: dict[str, float] = {}
    last_report = [0.0]

    def on_progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "validating" and done == total:
            marks["parsed"] = now
        if stage == "writing":
            marks.setdefault("first_batch_written", now)
            marks["last_batch_written"] = now
        if now - last_report[0] > 2:
            last_report[0] = now
            progress(f"{label}: {stage} {done:,}/{total:,}")

    progress(f"{label}: importing {len(data) / 2**20:.1f} MiB")
    start = time.perf_counter()
    report = instruments_import(data=data, progress=on_progress)
    end = time.perf_counter()
    seconds = end - start
    phases = {"parse_s": round(marks.get("parsed", start) - start, 3)}
    if "last_batch_written" in marks:
        phases["diff_and_first_batch_s"] = round(marks["first_batch_written"] - marks["parsed"], 3)
        phases["remaining_batches_s"] = round(marks["last_batch_written"] - marks["first_batch_written"], 3)
        phases["verify_and_commit_s"] = round(end - marks["last_batch_written"], 3)
    else:
        phases["diff_verify_commit_s"] = round(end - marks.get("parsed", start), 3)
    progress(f"{label}: {seconds:.1f} s, {report.summary()}")
    return {
        "seconds": round(seconds, 3),
        "rows_per_second": round(report.rows / seconds),
        "phases": phases,
        "peak_rss_mb_so_far": peak_rss_mb(),
        "rss_mb_after": current_rss_mb(),
        "report": {
            "rows": report.rows,
            "valid": report.valid,
            "errors": len(report.errors),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "deactivated": report.deactivated,
            "applied": report.applied,
            "reason": report.reason,
        },
    }


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_000)
    parser.add_argument("--changed-ratio", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=150_000)
    args = parser.parse_args()

    with Scratch(NAME) as scratch:
        progress(f"generating a {args.rows:,}-row scrip master")
        rows = generate_scrip_master(args.rows, args.seed)
        check_unique(rows)
        data = json.dumps(rows, separators=(",", ":")).encode()
        # Third file: the same rows with ~2% lot sizes changed (what a contract revision looks like).
        rng = random.Random(args.seed + 1)
        changed = rng.sample(range(len(rows)), round(len(rows) * args.changed_ratio))
        revised = [dict(r) for r in rows]
        for index in changed:
            revised[index]["lotsize"] = str(int(revised[index]["lotsize"]) + rng.choice((1, 5, 25)))
        revised_data = json.dumps(revised, separators=(",", ":")).encode()
        del revised
        segments: dict[str, int] = {}
        for r in rows:
            key = f"{r['exch_seg']}:{r['instrumenttype'] or 'EQ'}"
            segments[key] = segments.get(key, 0) + 1
        baseline_rss = peak_rss_mb()

        meter, load_start, cpu = CpuMeter({}), os.getloadavg(), {}
        runs = {}
        for name, label, payload in (
            ("1_empty_db", "import 1 (empty database)", data),
            ("2_unchanged", "import 2 (same file)", data),
            ("3_changed", f"import 3 ({len(changed):,} rows changed)", revised_data),
        ):
            before = meter.snapshot()
            runs[name] = timed_import(label, payload)
            cpu[name] = meter.delta(before, meter.snapshot(), len(rows), "row")
        from marketdata.models import Instrument

        in_db = Instrument.objects.count()
        active = Instrument.objects.filter(is_active=True).count()
        backend = scratch.backend_info()

    n = len(rows)
    busy = interference(cpu, load_start)
    expected = {
        "1_empty_db": {"created": n, "updated": 0, "unchanged": 0, "deactivated": 0},
        "2_unchanged": {"created": 0, "updated": 0, "unchanged": n, "deactivated": 0},
        "3_changed": {"created": 0, "updated": len(changed), "unchanged": n - len(changed), "deactivated": 0},
    }
    checks = {}
    for name, result in runs.items():
        got = result["report"]
        counts_ok = all(got[k] == v for k, v in expected[name].items()) and got["applied"] and got["errors"] == 0
        result["expected"] = expected[name]
        result["counts_ok"] = counts_ok
        result["under_target"] = result["seconds"] < TARGET_SECONDS
        checks[name] = counts_ok and result["under_target"]
    db_ok = in_db == n and active == n
    passed = all(checks.values()) and db_ok
    figures = {
        "config": {
            "rows": n,
            "file_mib": round(len(data) / 2**20, 1),
            "changed_rows": len(changed),
            "segments": dict(sorted(segments.items())),
            "target_seconds_each": TARGET_SECONDS,
        },
        "backend": backend,
        "machine": machine_info(),
        "peak_rss_mb_before_imports": baseline_rss,
        "runs": runs,
        "instruments_in_db_after": {"total": in_db, "active": active, "ok": db_ok},
        "peak_rss_mb": peak_rss_mb(),
        "interference": busy,
    }
    times = ", ".join(f"{r['seconds']:.1f} s" for r in runs.values())
    bad = [name for name, ok in checks.items() if not ok]
    summary = f"{n:,} rows: imports took {times} (target < {TARGET_SECONDS:.0f} s each); " + (
        "counts right" if not bad and db_ok else f"problems in: {', '.join(bad) or 'final instrument count'}"
    )
    summary += f"; other work {busy['worst']:.0%} of busy CPU" + (
        " (BUSY MACHINE: rerun)" if busy["machine_was_busy"] else ""
    )
    return figures, passed, summary


if __name__ == "__main__":
    run(NAME, main)
