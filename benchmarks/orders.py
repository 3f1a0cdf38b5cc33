"""MARKET orders through POST /api/v1/orders/ on a running platform, against a bare DRF write floor.

Targets (the verdict is for PostgreSQL + Redis; each ratio is the median of
--rounds rounds, every round measuring all its blocks back to back, in
alternating order):

- throughput: accepted orders/s at least 0.5x the same round's throughput of
  `POST bench/floor/insert/`, a bare authenticated DRF endpoint inserting one
  row through the ORM (benchmarks/_floor_urls.py);
- risk checks: the pre-trade checks cost at most 15% of that throughput,
  1 - (orders/s with checks) / (orders/s with them off in the web process,
  POST bench/risk-checks/, bench settings only);
- latency: p99 from sending the POST to the order's FILLED event under
  250 ms, with orders sent open-loop at 50/s, every order FILLED within
  --fill-timeout;
- correctness: every accepted order FILLED with one trade and one paper
  order; per account the ledger sums to cash, nothing stays reserved,
  positions and margin match the fills (benchmarks/_verify.py).

The same insert on a raw cursor (bench/floor/insert-sql/, below the ORM) is
measured in every round for information.

Processes (benchmarks/_stack.py): gunicorn (1 process, gthread, --threads 8),
one Celery worker (prefork -c 2: one child per core; the placement task is
CPU-bound Python with short database round trips), and `run_feed --source
simulated` keeping quotes fresh (MARKET orders are refused on stale quotes).
One client = one trader = one keep-alive connection (benchmarks/_load.py):
orders of one account serialise on its Funds row by design. After each
orders block the script waits until the worker has filled them all, so no
backlog spills into the next block. The latency run sends order i at
start + i/rate for trader i % K on any of --latency-connections connections
(a send is late only if all are busy); FILLED times are the FILLED events'
`at`, read from the database afterwards (same machine, same clock).

CPU per component and the machine's other work are metered per phase from
/proc (benchmarks/_cpu.py): `interference` above 15% means rerun when quiet.
Database: DATABASE_URL/REDIS_URL (default PostgreSQL and Redis db 14 on
127.0.0.1), a scratch database and cache prefix; `--embedded`: SQLite and the
file broker, for information. `--trace DIR`/`--profile DIR`: benchmarks/_profiling.py.

    .venv/bin/python benchmarks/orders.py [--orders 2000] [--clients 8] [--rounds 3] [--rate 50] [--duration 25]
"""

import argparse
import importlib.metadata
import json
import math
import os
import signal
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks import _profiling, _stack  # noqa: E402
from benchmarks._common import Scratch, machine_info, ms_summary, progress, run  # noqa: E402
from benchmarks._cpu import CpuMeter, interference, merge_cpu  # noqa: E402
from benchmarks._load import STOP, Result, closed_loop, open_loop  # noqa: E402
from benchmarks._seeding import traders_seed  # noqa: E402
from benchmarks._verify import fill_times, verify, wait_terminal  # noqa: E402
from tests.processes import KeepAliveClient  # noqa: E402

NAME = "orders"
TARGET_OVER_FLOOR = 0.5
TARGET_RISK_COST = 0.15
TARGET_P99_FILLED_MS = 250.0
TARGET_RATE = 50.0
SYMBOLS = ["SBIN-EQ", "RELIANCE-EQ", "INFY-EQ", "HDFCBANK-EQ", "TCS-EQ"]
EXCHANGE = "NSE"
PATHS = {
    "orders": "/api/v1/orders/",
    "orders_risk_off": "/api/v1/orders/",
    "floor": "/bench/floor/insert/",  # ORM insert: the verdict's floor
    "floor_sql": "/bench/floor/insert-sql/",  # raw-cursor insert, below the ORM: information
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=2000, help="orders per kind in the throughput run, over all rounds")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients = traders = connections")
    p.add_argument("--rounds", type=int, default=3, help="throughput rounds (the verdict is their median)")
    p.add_argument("--warmup", type=int, default=10, help="warm-up requests of each kind per client")
    p.add_argument("--rate", type=float, default=TARGET_RATE, help="orders/s in the latency run")
    p.add_argument("--duration", type=float, default=25.0, help="seconds of the latency run")
    p.add_argument("--latency-connections", type=int, default=32, help="connections the latency schedule may use")
    p.add_argument("--fill-timeout", type=float, default=10.0, help="an order FILLED later than this is a miss")
    p.add_argument("--drain-timeout", type=float, default=180.0, help="max wait for the worker to fill a block")
    p.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads (one worker process)")
    p.add_argument("--worker-concurrency", type=int, default=2, help="Celery prefork children")
    p.add_argument("--product", choices=["CNC", "MIS"], default="CNC")
    p.add_argument("--embedded", action="store_true", help="SQLite + filesystem broker (information only)")
    p.add_argument(
        "--settings",
        default=_stack.SETTINGS_MODULE,
        metavar="MODULE",
        help="settings for web, worker and feed, to measure a candidate change (star-import "
        "benchmarks._bench_settings; put its directory on PYTHONPATH)",
    )
    _profiling.add_arguments(p)
    args = p.parse_args()
    counts = (args.orders, args.clients, args.rounds, args.threads, args.worker_concurrency, args.latency_connections)
    if min(counts) < 1 or args.rate <= 0:
        p.error("counts and the rate must be positive")
    return args


class Bench:
    """The running platform, its clients and what the phases share."""

    def __init__(self, args, procs: dict, port: int, seeded: dict) -> None:
        self.args, self.procs, self.port = args, procs, port
        self.account_ids = [t["account_id"] for t in seeded["traders"]]
        self.clients = [KeepAliveClient(port) for _ in seeded["traders"]]
        for client, trader in zip(self.clients, seeded["traders"], strict=True):
            client.login(trader["username"], trader["password"])
        body = {"side": "BUY", "quantity": 1, "order_type": "MARKET", "product": args.product, "exchange": EXCHANGE}
        self.bodies = [json.dumps({**body, "symbol": s}).encode() for s in SYMBOLS]  # the floor parses the same
        self.meter = CpuMeter(procs)
        self.accepted = 0
        self.phases: dict[str, dict] = {}

    def block(self, kind: str, n: int) -> Result:
        """n requests of one kind, closed loop; orders blocks wait until the worker has filled them all."""
        if kind == "orders_risk_off":
            self.risk_checks(enabled=False)
        try:
            result = closed_loop(self.clients, PATHS[kind], self.bodies, n, kind.startswith("orders"))
        finally:
            if kind == "orders_risk_off":
                self.risk_checks(enabled=True)
        if kind.startswith("orders"):
            self.accepted += result.ok
            done, result.drain = wait_terminal(self.account_ids, self.args.drain_timeout)
            if not done:
                raise RuntimeError(
                    f"{kind} not finished {result.drain:.0f} s after the block:\n{self.procs['worker'].log_tail()}"
                )
        return result

    def risk_checks(self, *, enabled: bool) -> None:
        reply = self.clients[0].request("POST", "/bench/risk-checks/", json.dumps({"enabled": enabled}).encode())
        if reply.status != 200 or json.loads(reply.body)["enabled"] is not enabled:
            raise RuntimeError(f"could not turn the risk checks {'on' if enabled else 'off'}: {reply}")


def warm_up(bench: Bench) -> dict:
    """Every thread, connection and code path once, then an empty queue."""
    n = bench.args.warmup * len(bench.clients)
    progress(f"warm-up: {bench.args.warmup} requests of each kind per client")
    results = {kind: bench.block(kind, n) for kind in ("floor", "floor_sql", "orders")}
    if any(r.ok != r.expected for r in results.values()):
        raise RuntimeError(f"warm-up failed: { {k: (dict(r.codes), r.samples) for k, r in results.items()} }")
    fills = fill_times(results["orders"].sent, bench.args.fill_timeout)
    return {"ok": {k: r.ok for k, r in results.items()}, "post_to_filled": fills["post_to_filled"]}


def throughput(bench: Bench) -> dict:
    """--rounds rounds of four blocks (floor, raw-SQL floor, orders, orders with checks off), order alternating."""
    args, kinds = bench.args, ("floor", "floor_sql", "orders", "orders_risk_off")
    blocks: dict[str, list[Result]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for r in range(args.rounds):
        n = args.orders // args.rounds + (1 if r < args.orders % args.rounds else 0)
        for kind in kinds if r % 2 == 0 else kinds[::-1]:
            before = bench.meter.snapshot()
            result = bench.block(kind, n)
            cpu[kind].append(bench.meter.delta(before, bench.meter.snapshot(), result.ok, "request"))
            blocks[kind].append(result)
            progress(
                f"round {r + 1}/{args.rounds} {kind}: {result.ok}/{n} in {result.wall:.2f} s = {result.per_s:.1f}/s"
            )
    for kind in kinds:
        bench.phases[f"throughput_{kind}" + (" (POSTs + drain)" if kind.startswith("orders") else "")] = merge_cpu(
            cpu[kind]
        )
    per_s = {kind: [r.per_s for r in blocks[kind]] for kind in kinds}
    ratios = {
        "accepted_over_floor": [o / f for o, f in zip(per_s["orders"], per_s["floor"], strict=True)],
        "risk_checks_cost": [1 - o / off for o, off in zip(per_s["orders"], per_s["orders_risk_off"], strict=True)],
        "accepted_over_raw_sql_floor (info)": [o / f for o, f in zip(per_s["orders"], per_s["floor_sql"], strict=True)],
    }
    sent = {k: v for r in blocks["orders"] for k, v in r.sent.items()}
    under_load = fill_times(sent, args.drain_timeout)["post_to_filled"]
    return {
        **{kind: _block_figures(blocks[kind]) for kind in kinds},
        **{
            name: {"median": round(statistics.median(v), 3), "by_round": [round(x, 3) for x in v]}
            for name, v in ratios.items()
        },
        "orders_post_to_filled_under_full_load (info: includes the worker's backlog)": under_load,
    }


def _block_figures(results: list[Result]) -> dict:
    codes = sum((r.codes for r in results), Counter())
    out = {
        "requests": sum(r.expected for r in results),
        "ok_201": codes.get(201, 0),
        "non_201": {str(k): v for k, v in sorted(codes.items()) if k != 201},
        "non_201_samples": {str(k): v for r in results for k, v in r.samples.items()},
        "per_s_median": round(statistics.median(r.per_s for r in results), 1),
        "per_s_by_round": [round(r.per_s, 1) for r in results],
        "post_latency": ms_summary([e for r in results for e in r.elapsed]),
    }
    if results[0].drain is not None:
        out["drain_after_last_post_s_by_round"] = [round(r.drain, 2) for r in results]
        out["end_to_end_per_s_by_round (first POST to last FILLED)"] = [
            round(r.ok / (r.wall + r.drain), 1) for r in results
        ]
    return out


def latency(bench: Bench) -> dict:
    """Open loop at --rate for --duration; POST-to-FILLED from the FILLED events."""
    args = bench.args
    time.sleep(1.0)
    progress(f"latency: {int(args.rate * args.duration)} orders open-loop at {args.rate:g}/s")
    before = bench.meter.snapshot()
    senders = [KeepAliveClient(bench.port) for _ in range(args.latency_connections)]
    paced = open_loop(senders, bench.clients, PATHS["orders"], bench.bodies, args.rate, args.duration)
    for sender in senders:
        sender.close()
    bench.accepted += paced.ok
    drained, waited = wait_terminal(bench.account_ids, args.drain_timeout)
    bench.phases["latency_run (sends + drain)"] = bench.meter.delta(before, bench.meter.snapshot(), paced.ok, "order")
    fills = fill_times(paced.sent, args.fill_timeout)
    fills.pop("_raw_to_filled")
    return {
        "target_rate_per_s": args.rate,
        "scheduled": paced.expected,
        "achieved_send_rate_per_s": paced.achieved_rate(),
        "ok_201": paced.ok,
        "non_201": paced.non_201(),
        "non_201_samples": {str(k): v for k, v in paced.samples.items()},
        "send_lateness": {
            "max_ms": round(max(paced.lateness, default=0) * 1000, 3),
            "late_over_10ms": sum(1 for x in paced.lateness if x > 0.010),
        },
        "post_latency": ms_summary(paced.elapsed),
        "drained": drained,
        "drain_after_last_send_s": round(waited, 2),
        **fills,
    }


def targets(args, tp: dict, lat: dict, checks: dict) -> dict:
    p99 = (lat.get("post_to_filled") or {}).get("p99_ms")
    all_filled = lat["filled"] == lat["orders"] and not lat["filled_after_timeout"]
    ratio, cost = tp["accepted_over_floor"]["median"], tp["risk_checks_cost"]["median"]
    return {
        "accepted_over_floor": {
            "value": ratio,
            "target": f">= {TARGET_OVER_FLOOR}",
            "pass": ratio >= TARGET_OVER_FLOOR,
        },
        "risk_checks_cost": {"value": cost, "target": f"<= {TARGET_RISK_COST}", "pass": cost <= TARGET_RISK_COST},
        "p99_post_to_filled_ms_at_rate": {
            "value": p99,
            "target": f"< {TARGET_P99_FILLED_MS:g} at {args.rate:g}/s, all FILLED within {args.fill_timeout:g} s",
            "pass": p99 is not None and p99 < TARGET_P99_FILLED_MS and all_filled,
        },
        "send_rate_achieved": {
            "value": lat["achieved_send_rate_per_s"],
            "target": f">= {0.97 * args.rate:g}",
            "pass": (lat["achieved_send_rate_per_s"] or 0) >= 0.97 * args.rate,
        },
        "correctness": {
            "value": checks["problems"][:5],
            "target": "no problems, every POST 201",
            "pass": checks["ok"] and not tp["orders"]["non_201"] and not lat["non_201"],
        },
    }


def summary_line(args, backend: dict, tp: dict, lat: dict, goals: dict, busy: dict, tracing) -> str:
    pf, post = lat.get("post_to_filled") or {}, tp["orders"]["post_latency"] or {}
    ratio, cost = goals["accepted_over_floor"]["value"], goals["risk_checks_cost"]["value"]
    db = f"{backend['database']}/{'redis' if backend['redis'] else 'embedded broker'}"
    return (
        tracing.label
        + ("EMBEDDED (informational): " if args.embedded else "")
        + (f"CANDIDATE SETTINGS {args.settings}: " if args.settings != _stack.SETTINGS_MODULE else "")
        + f"{db}, median of {args.rounds} rounds: {tp['orders']['per_s_median']} orders/s vs floor "
        f"{tp['floor']['per_s_median']}/s = x{ratio} (target >= {TARGET_OVER_FLOOR}; "
        f"raw-SQL floor {tp['floor_sql']['per_s_median']}/s); risk checks cost {cost:.1%} "
        f"(target <= {TARGET_RISK_COST:.0%}); POST p50/p99 {post.get('p50_ms')}/{post.get('p99_ms')} ms; "
        f"at {args.rate:g}/s POST->FILLED p50/p99 {pf.get('p50_ms')}/{pf.get('p99_ms')} ms "
        f"(target p99 < {TARGET_P99_FILLED_MS:g}), {lat['filled']}/{lat['orders']} filled; "
        f"checks {'ok' if goals['correctness']['pass'] else 'FAILED'}; other work {busy['worst']:.0%} of busy CPU"
        + (" (BUSY MACHINE: rerun)" if busy["machine_was_busy"] else "")
    )


def main() -> tuple[dict, bool, str]:
    args = parse_args()
    tracing = _profiling.Tracing.from_args(args)
    chosen = _stack.pick_backends(args.embedded)
    load_start = os.getloadavg()
    orders_per_client = args.warmup + 2 * math.ceil(args.orders / args.clients)
    orders_per_client += math.ceil(args.rate * args.duration / args.clients)
    with Scratch(NAME) as scratch, ExitStack() as stack:
        from django.db import connection, connections

        from benchmarks._floor_urls import FLOOR_INSERT_TABLE, floor_insert_table_create
        from marketdata.models import FeedStatus, Quote

        progress(f"seeding: demo instruments, {args.clients} traders with accounts, the floor table")
        seeded = traders_seed(
            symbols=SYMBOLS,
            exchange=EXCHANGE,
            clients=args.clients,
            orders_per_client=orders_per_client,
            product=args.product,
        )
        floor_insert_table_create(connection)
        backend = scratch.backend_info()
        redis_keys = _stack.RedisKeys(os.environ.get("REDIS_URL"), scratch.cache_prefix)
        extra = {"redis_queue_lengths_at_start": redis_keys.queue_lengths()}
        stack.callback(lambda: extra.update(redis_cleanup=redis_keys.cleanup()))
        connections.close_all()

        def quotes_fresh(feed_pid: int) -> bool:
            try:
                fresh = Quote.objects.filter(
                    instrument_id__in=seeded["instrument_ids"], timestamp__gte=_utc(time.time() - 2)
                ).count()
                return FeedStatus.objects.filter(pid=feed_pid).exists() and fresh == len(SYMBOLS)
            finally:
                connections.close_all()

        symbols = ",".join(f"{EXCHANGE}:{s}" for s in SYMBOLS)
        procs, port = _stack.platform_start(
            stack,
            tracing=tracing,
            env=_stack.server_env(args.settings, **tracing.env()),
            log_dir=scratch.tmp / "logs",
            threads=args.threads,
            concurrency=args.worker_concurrency,
            quotes_fresh=quotes_fresh,
            feed_args=["--source", "simulated", "--symbols", symbols],
        )
        stack.callback(STOP.set)  # first on the way out: no new requests while the servers stop
        bench = Bench(args, procs, port, seeded)
        warm = warm_up(bench)
        tp = throughput(bench)
        lat = latency(bench)
        wait_terminal(bench.account_ids, args.drain_timeout)
        checks = verify(bench.account_ids, bench.accepted)
        extra["redis_queue_lengths_at_end"] = redis_keys.queue_lengths()
        logs = {name: lines for name, p in procs.items() if (lines := p.problem_lines())}
        commands = _stack.commands_of(procs)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {FLOOR_INSERT_TABLE}")
            checks["floor_rows_inserted"] = cursor.fetchone()[0]
        connections.close_all()
        # Leaving the block stops web, worker and feed (traces are written on their way out),
        # removes this run's Celery keys, then drops the scratch database.

    goals = targets(args, tp, lat, checks)
    busy = interference(bench.phases, load_start)
    figures = {
        "config": {
            **{k: v for k, v in vars(args).items() if not isinstance(v, Path)},
            "commands": commands,
            "order": f"MARKET BUY 1 {args.product}, round-robin over {symbols}",
            "versions": {p: importlib.metadata.version(p) for p in ("gunicorn", "celery", "django")},
            "beat": "not running (no order needs the outbox sweep or reconciliation here)",
        },
        "backend": {**chosen, **backend},
        "machine": machine_info(),
        "loadavg_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        "seed": {k: v for k, v in seeded.items() if k != "traders"} | {"traders": len(seeded["traders"])},
        "warmup": warm,
        "throughput": tp,
        "latency": lat,
        "cpu": bench.phases,
        "checks": checks,
        "targets": goals,
        "verdict_scope": "informational (embedded)" if args.embedded else "PostgreSQL + Redis",
        "interference": busy,
        **extra,
        **({"trace": tracing.summary()} if tracing.dir else {}),
        **({"process_log_problems": logs} if logs else {}),
    }
    passed = all(goal["pass"] for goal in goals.values())
    return figures, passed, summary_line(args, backend, tp, lat, goals, busy, tracing)


def _utc(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


if __name__ == "__main__":
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C: processes stopped, keys and scratch database removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    run(NAME, main)
