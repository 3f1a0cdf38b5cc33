"""Quote reads for 20 symbols over HTTP, warm and cold, against the bare authenticated floor.

Targets (the floor is `GET bench/floor/`, a bare authenticated DRF endpoint
returning a constant body, benchmarks/_floor_urls.py, measured in the same
blocks; each ratio is the median over the blocks of that block's ratio):

- warm: a 20-symbol read of symbols read before takes at most 1.5x the floor;
- cold: a 20-symbol read with every cache empty takes at most 4x the floor.

Setup: scratch database, the demo instruments, 20 demo NSE equities with
Quote rows (the warm set), and one set of 20 generated NSE equities with
Quote rows per cold sample (plus one to prime the cold code path). One
gunicorn worker process (gthread, one thread) serves the product with DEBUG
off, pinned to another core than this client where there are two.

Cold means every cache the read path uses is empty for the symbols read: the
per-process L1 (marketdata.quotes, 0.5 s TTL), the symbol cache
(marketdata.selectors, 60 s) and, with Redis, the shared L2. The server
cannot be cleared from outside, so each cold sample reads 20 symbols no
request has read before (their L2 keys deleted first): it resolves symbols
and loads quotes from the database (whose buffers are warm: the database is
small). Warm reads the same 20 symbols again and again, as a dashboard
polling its watchlist does; the 0.5 s L1 TTL sends one in a few hundred back
to L2, which shows in the tail, not the median. Each block is one cold read
(and its re-read, for information), then warm and floor requests one by one,
the first of each pair alternating between blocks, so drift affects all
alike. One keep-alive connection carries every request; times are
client-side, from sending the request to reading the whole body.

The API rate limit runs on every request (one cache add or incr, django-ratelimit)
with API_RATE_LIMIT=1000000/s: the benchmark's back-to-back requests must not be
refused (the product default is 50/s per user).

    .venv/bin/python benchmarks/quotes.py [--cold-samples 40] [--warm 2000] [--warmup 200] [--profile DIR]
"""

import argparse
import importlib.metadata
import json
import os
import signal
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote as urlquote

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks import _profiling, _stack  # noqa: E402
from benchmarks._common import Scratch, latency_summary, machine_info, production_like_env, progress, run  # noqa: E402
from benchmarks._cpu import CpuMeter, interference  # noqa: E402
from benchmarks._seeding import SYMBOLS_PER_READ, quotes_seed  # noqa: E402
from tests.processes import KeepAliveClient  # noqa: E402

NAME = "quotes"
TARGET_WARM_OVER_FLOOR = 1.5
TARGET_COLD_OVER_FLOOR = 4.0
FLOOR_PATH = "/bench/floor/"
SERVER_RATE_LIMIT = "1000000/s"


def quotes_path(keys: list[str]) -> str:
    return "/api/v1/quotes/?symbols=" + urlquote(",".join(keys), safe=":,")


def read(client: KeepAliveClient, keys: list[str]) -> float:
    """One quotes read, checked: every symbol answered with a real price (the read went through the data path)."""
    seconds, data = client.get_json(quotes_path(keys))
    quotes = data.get("quotes", [])
    if (
        data.get("unknown")
        or [f"{q['exchange']}:{q['symbol']}" for q in quotes] != keys
        or any(q["ltp"] is None for q in quotes)
    ):
        raise RuntimeError(f"unexpected quotes answer: {json.dumps(data)[:400]}")
    return seconds


def measure(client: KeepAliveClient, seeded: dict, args, l2_delete) -> list[dict]:
    """Blocks of one cold read (+ its re-read) and --warm/blocks warm and floor requests, interleaved."""
    warm_keys = seeded["warm_keys"]
    prime_set, cold_sets = seeded["cold_key_sets"][0], seeded["cold_key_sets"][1:]
    progress(f"warm-up: {args.warmup} warm and {args.warmup} floor requests, one cold read to prime the path")
    for _ in range(args.warmup):
        read(client, warm_keys)
        client.get_json(FLOOR_PATH)
    l2_delete(prime_set)
    read(client, prime_set)

    per_block = -(-args.warm // len(cold_sets))  # ceil
    progress(f"measuring: {len(cold_sets)} blocks of 1 cold read, {per_block} warm and {per_block} floor requests")
    blocks = []
    for n, keys in enumerate(cold_sets):
        l2_delete(keys)  # nothing has cached these symbols anywhere; make sure L2 agrees
        block = {"cold": read(client, keys), "cold_reread": read(client, keys), "warm": [], "floor": []}
        for _ in range(per_block):
            for warm in (True, False) if n % 2 == 0 else (False, True):
                if warm:
                    block["warm"].append(read(client, warm_keys))
                else:
                    block["floor"].append(client.get_json(FLOOR_PATH)[0])
        blocks.append(block)
        if (n + 1) % 10 == 0:
            progress(f"block {n + 1}/{len(cold_sets)}")
    return blocks


def ratio(blocks: list[dict], kind: str) -> dict:
    """Per block, `kind` (its cold read, or its warm median) over the block's floor median; their median."""
    values = [
        (b[kind] if kind == "cold" else statistics.median(b[kind])) / statistics.median(b["floor"]) for b in blocks
    ]
    return {"median": round(statistics.median(values), 3), "worst_block": round(max(values), 3)}


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-samples", type=int, default=40, help="cold reads (= blocks), each on 20 new symbols")
    parser.add_argument("--warm", type=int, default=2000, help="timed warm reads (and as many floor requests)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--server-settings",
        default=_stack.SETTINGS_MODULE,
        metavar="MODULE",
        help="settings module for the server, to measure a candidate change",
    )
    _profiling.add_arguments(parser)
    args = parser.parse_args()
    if args.warmup < 1 or args.cold_samples < 1:
        parser.error("--warmup and --cold-samples must be at least 1")
    tracing = _profiling.Tracing.from_args(args)
    # Client and server on different cores where there are two; they take turns anyway.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    client_cpu, server_cpu = (cpus[0], cpus[-1]) if len(cpus) >= 2 else (None, None)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})

    with Scratch(NAME) as scratch, ExitStack() as stack:
        from django.core.cache import cache
        from django.db import connections

        from marketdata.quotes import _key as l2_key  # the L2 key format, "q:<instrument id>"

        progress(f"seeding: demo instruments, {args.cold_samples + 1} cold sets of {SYMBOLS_PER_READ}, quotes, user")
        seeded = quotes_seed(args.cold_samples + 1)
        backend = scratch.backend_info()
        connections.close_all()  # the server has the database to itself while we measure

        def l2_delete(keys: list[str]) -> None:
            if scratch.redis_url:
                cache.delete_many([l2_key(seeded["ids"][k]) for k in keys])

        env = _stack.server_env(args.server_settings, API_RATE_LIMIT=SERVER_RATE_LIMIT, **production_like_env())
        web, port = _stack.web_start(
            stack,
            app=tracing.wsgi_app,
            threads=1,
            env={**env, **tracing.env()},
            log_dir=scratch.tmp / "logs",
            cpu=server_cpu,
        )
        client = KeepAliveClient(port, timeout=60)
        client.login(seeded["username"], seeded["password"])
        meter, load_start = CpuMeter({"web": web}), os.getloadavg()
        before = meter.snapshot()
        blocks = measure(client, seeded, args, l2_delete)
        cpu = meter.delta(before, meter.snapshot(), sum(2 + 2 * len(b["warm"]) for b in blocks), "request")
        server_problems = web.problem_lines()

    busy = interference({"measuring": cpu}, load_start)
    flat = {
        kind: [s for b in blocks for s in (b[kind] if isinstance(b[kind], list) else [b[kind]])]
        for kind in ("cold", "cold_reread", "warm", "floor")
    }
    stats = {kind: latency_summary(values) for kind, values in flat.items()}
    warm_ratio, cold_ratio = ratio(blocks, "warm"), ratio(blocks, "cold")
    goals = {
        "warm_over_floor": {
            **warm_ratio,
            "target": f"<= {TARGET_WARM_OVER_FLOOR:g}",
            "pass": warm_ratio["median"] <= TARGET_WARM_OVER_FLOOR,
        },
        "cold_over_floor": {
            **cold_ratio,
            "target": f"<= {TARGET_COLD_OVER_FLOOR:g}",
            "pass": cold_ratio["median"] <= TARGET_COLD_OVER_FLOOR,
        },
    }
    figures = {
        "config": {
            "symbols_per_read": SYMBOLS_PER_READ,
            "blocks": len(blocks),
            "warmup_requests_each": args.warmup,
            "server": f"gunicorn {importlib.metadata.version('gunicorn')}, 1 worker, gthread, 1 thread, DEBUG=0",
            "server_rate_limit": SERVER_RATE_LIMIT,
            "server_settings": args.server_settings,
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
            "tcp_connections_used": client.connects,
        },
        "backend": backend,
        "machine": machine_info(),
        "seed": {k: seeded[k] for k in ("instruments", "quotes", "demo_import")},
        **stats,
        "targets": goals,
        "cpu": cpu,
        "interference": busy,
        **({"server_log_problems": server_problems} if server_problems else {}),
        **({"trace": tracing.summary()} if tracing.dir else {}),
    }
    summary = tracing.label + (
        f"{backend['database']}/{'redis' if backend['redis'] else 'locmem'}: medians warm "
        f"{stats['warm']['median_ms']:.2f} ms, cold {stats['cold']['median_ms']:.2f} ms, floor "
        f"{stats['floor']['median_ms']:.2f} ms; warm/floor x{warm_ratio['median']:.2f} "
        f"(target <= {TARGET_WARM_OVER_FLOOR:g}), cold/floor x{cold_ratio['median']:.2f} "
        f"(target <= {TARGET_COLD_OVER_FLOOR:g}), median over {len(blocks)} blocks; "
        f"other work {busy['worst']:.0%} of busy CPU" + (" (BUSY MACHINE: rerun)" if busy["machine_was_busy"] else "")
    )
    return figures, all(g["pass"] for g in goals.values()), summary


if __name__ == "__main__":
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the server and scratch DB are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    run(NAME, main)
