"""Quote reads for 20 symbols over HTTP, cold (caches empty) vs warm, against a bare DRF floor.

Targets, at the median:

- warm reads at least 20 times faster than cold reads;
- warm reads within 1.5x of a bare authenticated DRF endpoint returning a
  constant body (`bench/floor/`, benchmarks/_floor_urls.py), measured in the same run.

Setup: scratch database + migrate, the demo instruments, 20 demo NSE equities
with Quote rows (the warm set), and one set of 20 generated NSE equities with
Quote rows per cold sample (plus one to prime the cold code path). A trader is
created, and one gunicorn worker process (gthread, one thread, so HTTP
keep-alive works) serves the product's WSGI app with DEBUG off, on this
run's database, Redis and var dir.

"Cold" means every cache the read path uses is empty for the symbols read:
the per-process L1 (marketdata.quotes, 0.5 s TTL), the symbol cache
(marketdata.selectors, 60 s TTL) and, with Redis, the shared L2. The server
cannot be cleared from outside, so every cold sample reads a set of 20 symbols
no request has read before (and their L2 keys are deleted first): each cold
read resolves symbols and loads quotes from the database (whose own buffers
are warm: the scratch database is small). "Warm" reads the same 20 symbols
again and again (after a warm-up), as a dashboard polling its watchlist does;
as in production, the 0.5 s L1 TTL sends one warm read in a few hundred back
to L2 or the database, which shows in the tail, not the median. Warm and
floor requests alternate one by one, the first of each block alternating too,
with one cold sample per block, so drift affects all three alike. One
persistent keep-alive connection carries every timed request; times are
client-side, from sending the request to reading the whole body.

The API throttle (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES) runs on every
request, with API_RATE_LIMIT=1000000/s for the server: the benchmark's
back-to-back requests must not be refused (the product default is 50/s per
user). The throttle costs one cache add or incr per request (django-ratelimit).

    .venv/bin/python benchmarks/quotes.py [--cold-samples 40] [--warm 2000] [--warmup 200]
"""

import argparse
import http.client
import importlib.metadata
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote as urlquote

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks._common import (  # noqa: E402
    REPO,
    Scratch,
    latency_summary,
    machine_info,
    production_like_env,
    progress,
    run,
)

NAME = "quotes"
SYMBOLS_PER_READ = 20
TARGET_COLD_OVER_WARM = 20.0
TARGET_WARM_OVER_FLOOR = 1.5
FLOOR_PATH = "/bench/floor/"
SERVER_RATE_LIMIT = "1000000/s"


# --- Seed data --------------------------------------------------------------------------


def seed(cold_sets: int) -> dict:
    """Demo instruments, generated ones for the cold sets, a Quote row for each, and a trader."""
    from accounts.services import trader_create_or_update
    from marketdata.demo import DEMO_SCRIP_MASTER, demo_instruments_import
    from marketdata.models import Instrument
    from marketdata.services import instruments_import, market_state_flush
    from marketdata.ticks import QuoteRow

    demo_report = demo_instruments_import()
    demo_rows = json.loads(DEMO_SCRIP_MASTER.read_bytes())
    warm_symbols = [r["symbol"] for r in demo_rows if r["exch_seg"] == "NSE" and r["symbol"].endswith("-EQ")]
    warm_symbols = warm_symbols[:SYMBOLS_PER_READ]
    if len(warm_symbols) < SYMBOLS_PER_READ:
        raise RuntimeError(f"the demo file has only {len(warm_symbols)} NSE equities")

    generated = [
        {
            "token": str(9_000_000 + n),
            "symbol": f"BENCH{n:05d}-EQ",
            "name": f"BENCH{n:05d}",
            "expiry": "",
            "strike": "-1.000000",
            "lotsize": "1",
            "instrumenttype": "",
            "exch_seg": "NSE",
            "tick_size": "5.000000",
        }
        for n in range(cold_sets * SYMBOLS_PER_READ)
    ]
    generated_report = instruments_import(data=json.dumps(generated).encode(), deactivate_missing=False)
    if generated_report.created != len(generated):
        raise RuntimeError(f"seeding instruments failed: {generated_report.summary()}")
    cold_symbols = [g["symbol"] for g in generated]

    ids = dict(
        Instrument.objects.filter(exchange="NSE", symbol__in=warm_symbols + cold_symbols).values_list("symbol", "id")
    )
    now = time.time()
    rows = []
    for n, symbol in enumerate(warm_symbols + cold_symbols):
        ltp = Decimal(100 + n % 900) + Decimal("0.05") * (n % 20)
        rows.append(
            QuoteRow(
                instrument_id=ids[symbol],
                ltp=ltp,
                bid=ltp - Decimal("0.05"),
                ask=ltp + Decimal("0.05"),
                open=ltp - 1,
                high=ltp + 2,
                low=ltp - 3,
                close=ltp - Decimal("0.5"),
                volume=1000 + n,
                ts=now,
            )
        )
    market_state_flush(quotes=rows, candles=[])

    password = secrets.token_urlsafe(18)
    user, _ = trader_create_or_update(username="bench-quotes", password=password)
    return {
        "warm_keys": [f"NSE:{s}" for s in warm_symbols],
        "cold_key_sets": [
            [f"NSE:{s}" for s in cold_symbols[i : i + SYMBOLS_PER_READ]]
            for i in range(0, len(cold_symbols), SYMBOLS_PER_READ)
        ],
        "ids": {f"NSE:{s}": pk for s, pk in ids.items()},
        "username": user.username,
        "user_id": user.pk,
        "password": password,
        "instruments": Instrument.objects.count(),
        "quotes": len(rows),
        "demo_import": demo_report.summary(),
    }


# --- The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn worker process serving trading.wsgi with benchmarks._bench_settings; always stopped."""

    def __init__(self, log_path: Path, cpu: int | None, profile_dir: Path | None, settings_module: str) -> None:
        self.log_path = log_path
        self.cpu = cpu
        self.profile_dir = profile_dir
        self.settings_module = settings_module
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)  # TRADING_VAR_DIR, DATABASE_URL (scratch), REDIS_URL, CACHE_KEY_PREFIX
        env.pop("SENTRY_DSN", None)
        env.update(production_like_env())  # DEBUG off: no query log, no browsable API
        env.update(
            DJANGO_SETTINGS_MODULE=self.settings_module,
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            API_RATE_LIMIT=SERVER_RATE_LIMIT,
            LOGIN_RATE_LIMIT="1000000/m",  # the clients log in from one address
            JWT_ACCESS_MINUTES="240",  # one token for the whole run
            LOG_LEVEL="WARNING",
        )
        if self.profile_dir:
            env["BENCH_PROFILE_DIR"] = str(self.profile_dir)
        return env

    def start(self) -> None:
        app = "benchmarks._profiled_wsgi:application" if self.profile_dir else "trading.wsgi"
        command = [
            sys.executable, "-m", "gunicorn", app,
            "-w", "1", "-k", "gthread", "--threads", "1",  # gthread: the sync worker closes every connection
            "-b", f"127.0.0.1:{self.port}", "--keep-alive", "600", "--timeout", "300", "--graceful-timeout", "10",
            "--log-level", "warning",
        ]  # fmt: skip
        cpu = self.cpu

        def pin() -> None:
            if cpu is not None:
                os.sched_setaffinity(0, {cpu})

        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command, cwd=REPO, env=self.environment(), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=pin,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/health/live")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer /health/live within 60 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        # The session we started holds the master and its worker: signal exactly that group
        # (also when the master is gone, in case its worker outlived it).
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.proc = None
        self.log.close()

    def __enter__(self) -> "Server":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Client:
    """One keep-alive connection; `get` returns (seconds, parsed JSON), timing send to body read."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Accept": "application/json"}
        self.connects = 0

    def _count_connect(self) -> None:
        if self.conn.sock is None:
            self.connects += 1  # http.client opens a connection on demand

    def login(self, username: str, password: str) -> None:
        body = json.dumps({"username": username, "password": password})
        self._count_connect()
        self.conn.request("POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"login failed: {response.status} {data[:300]!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(data)['access']}"

    def get(self, path: str) -> tuple[float, dict]:
        self._count_connect()
        clock = time.perf_counter
        start = clock()
        self.conn.request("GET", path, headers=self.headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = clock() - start
        if response.status != 200:
            raise RuntimeError(f"GET {path[:80]} answered {response.status}: {body[:300]!r}")
        return elapsed, json.loads(body)


def quotes_path(keys: list[str]) -> str:
    return "/api/v1/quotes/?symbols=" + urlquote(",".join(keys), safe=":,")


def check_quotes(data: dict, keys: list[str]) -> None:
    """Every symbol answered with a real price: the read really went through the data path."""
    quotes = data.get("quotes", [])
    got = [f"{q['exchange']}:{q['symbol']}" for q in quotes]
    if data.get("unknown") or got != keys or any(q["ltp"] is None for q in quotes):
        raise RuntimeError(f"unexpected quotes answer: {json.dumps(data)[:400]}")


def print_profiles(directory: Path, top: int = 30) -> dict:
    """Top functions per request kind to stderr; returns the server-side summary."""
    import pstats

    for kind in ("floor", "quotes_warm", "quotes_cold"):
        path = directory / f"{kind}.prof"
        if path.exists():
            print(f"\n===== {kind}: {path} =====", file=sys.stderr)
            pstats.Stats(str(path), stream=sys.stderr).sort_stats("cumulative").print_stats(top)
            pstats.Stats(str(path), stream=sys.stderr).sort_stats("tottime").print_stats(top)
    summary = directory / "summary.json"
    return {"dir": str(directory), "server_side": json.loads(summary.read_text()) if summary.exists() else None}


# --- The measurement ----------------------------------------------------------------------


def measure(client: Client, seeded: dict, args, l2_delete) -> dict:
    warm_path = quotes_path(seeded["warm_keys"])
    cold_sets = seeded["cold_key_sets"]
    prime_set, cold_sets = cold_sets[0], cold_sets[1:]

    progress(f"warm-up: {args.warmup} warm and {args.warmup} floor requests, one cold read to prime the path")
    for _ in range(args.warmup):
        _, data = client.get(warm_path)
        client.get(FLOOR_PATH)
    check_quotes(data, seeded["warm_keys"])
    l2_delete(prime_set)
    check_quotes(client.get(quotes_path(prime_set))[1], prime_set)

    blocks = len(cold_sets)
    per_block = -(-args.warm // blocks)  # ceil
    warm, floor, cold, cold_reread = [], [], [], []
    progress(f"measuring: {blocks} blocks of {per_block} warm + {per_block} floor requests and 1 cold read")
    for block, keys in enumerate(cold_sets):
        l2_delete(keys)  # nothing has cached these symbols anywhere; make sure L2 agrees
        seconds, data = client.get(quotes_path(keys))
        check_quotes(data, keys)
        cold.append(seconds)
        seconds, data = client.get(quotes_path(keys))  # the same set again: now served from L1
        check_quotes(data, keys)
        cold_reread.append(seconds)
        first_warm = block % 2 == 0
        for _ in range(per_block):
            for is_warm in (first_warm, not first_warm):
                if is_warm:
                    seconds, data = client.get(warm_path)
                    warm.append(seconds)
                else:
                    floor.append(client.get(FLOOR_PATH)[0])
        check_quotes(data, seeded["warm_keys"])
        if (block + 1) % 10 == 0:
            progress(f"block {block + 1}/{blocks}")
    return {"cold": cold, "cold_reread": cold_reread, "warm": warm, "floor": floor}


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-samples", type=int, default=40, help="cold reads, each on 20 fresh symbols")
    parser.add_argument("--warm", type=int, default=2000, help="timed warm reads (and as many floor requests)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument(
        "--profile", type=Path, metavar="DIR",
        help="run the server under cProfile (benchmarks/_profiled_wsgi.py), write pstats per request kind to DIR "
        "and print the top functions to stderr; timings are then inflated",
    )  # fmt: skip
    parser.add_argument(
        "--server-settings", default="benchmarks._bench_settings", metavar="MODULE",
        help="settings module for the server, to measure a candidate change without editing product files "
        "(it should star-import benchmarks._bench_settings; put its directory on PYTHONPATH)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.warmup < 1 or args.cold_samples < 1:
        parser.error("--warmup and --cold-samples must be at least 1")
    profile_dir = args.profile.resolve() if args.profile else None

    # Client and server on different cores where there are two; they take turns anyway.
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    client_cpu, server_cpu = (cpus[0], cpus[-1]) if len(cpus) >= 2 else (None, None)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})

    with Scratch(NAME) as scratch:
        from django.core.cache import cache
        from django.db import connections

        from marketdata.quotes import _key as l2_key  # the L2 key format, "q:<instrument id>"

        progress(f"seeding: demo instruments, {args.cold_samples + 1} cold sets of {SYMBOLS_PER_READ}, quotes, user")
        seeded = seed(args.cold_samples + 1)
        backend = scratch.backend_info()
        connections.close_all()  # the server has the database to itself while we measure

        def l2_delete(keys: list[str]) -> None:
            if scratch.redis_url:
                cache.delete_many([l2_key(seeded["ids"][k]) for k in keys])

        with Server(scratch.tmp / "gunicorn.log", server_cpu, profile_dir, args.server_settings) as server:
            progress(f"gunicorn up on port {server.port}")
            client = Client(server.port)
            client.login(seeded["username"], seeded["password"])
            samples = measure(client, seeded, args, l2_delete)
            throttle_history = None
            if scratch.redis_url:
                history = cache.get(f"throttle_user_{seeded['user_id']}")
                throttle_history = len(history) if history is not None else 0
            connects = client.connects
            server_log = server.log_tail(10)

    cold = latency_summary(samples["cold"])
    warm = latency_summary(samples["warm"])
    floor = latency_summary(samples["floor"])
    cold_over_warm = cold["median_ms"] / warm["median_ms"]
    warm_over_floor = warm["median_ms"] / floor["median_ms"]
    # Not a target, but what the caches themselves achieve: the work a quote read adds to a
    # bare authenticated request, cold vs warm.
    cold_work = cold["median_ms"] - floor["median_ms"]
    warm_work = warm["median_ms"] - floor["median_ms"]
    passed_cold = cold_over_warm >= TARGET_COLD_OVER_WARM
    passed_floor = warm_over_floor <= TARGET_WARM_OVER_FLOOR
    figures = {
        "config": {
            "symbols_per_read": SYMBOLS_PER_READ,
            "cold_samples": len(samples["cold"]),
            "warm_requests": len(samples["warm"]),
            "floor_requests": len(samples["floor"]),
            "warmup_requests_each": args.warmup,
            "server": f"gunicorn {importlib.metadata.version('gunicorn')}, 1 worker, gthread, 1 thread, DEBUG=0",
            "server_rate_limit": SERVER_RATE_LIMIT,
            "server_settings": args.server_settings,
            "client_cpu": client_cpu,
            "server_cpu": server_cpu,
            "tcp_connections_used": connects,
            "l1_ttl_seconds_default": 0.5,
        },
        "backend": backend,
        "machine": machine_info(),
        "seed": {
            "instruments": seeded["instruments"],
            "quote_rows": seeded["quotes"],
            "demo_import": seeded["demo_import"],
        },
        "cold": cold,
        "cold_reread_same_symbols": latency_summary(samples["cold_reread"]),
        "warm": warm,
        "floor": floor,
        "quote_work_over_floor_ms": {
            "cold": round(cold_work, 3),
            "warm": round(warm_work, 3),
            "cold_over_warm": round(cold_work / warm_work, 1) if warm_work > 0 else None,
        },
        "throttle_history_entries_at_end": throttle_history,
        "targets": {
            "cold_over_warm_median": {
                "value": round(cold_over_warm, 2),
                "target": f">= {TARGET_COLD_OVER_WARM:g}",
                "pass": passed_cold,
            },
            "warm_over_floor_median": {
                "value": round(warm_over_floor, 3),
                "target": f"<= {TARGET_WARM_OVER_FLOOR:g}",
                "pass": passed_floor,
            },
        },
    }
    if server_log.strip():
        figures["server_log_tail"] = server_log
    if profile_dir:
        figures["profile"] = print_profiles(profile_dir)
    summary = ("PROFILED RUN, timings inflated: " if profile_dir else "") + (
        f"{backend['database']}/{'redis' if backend['redis'] else 'locmem'}: cold {cold['median_ms']:.2f} ms, "
        f"warm {warm['median_ms']:.2f} ms, floor {floor['median_ms']:.2f} ms (medians); "
        f"cold/warm x{cold_over_warm:.1f} (target >= {TARGET_COLD_OVER_WARM:g}), "
        f"warm/floor x{warm_over_floor:.2f} (target <= {TARGET_WARM_OVER_FLOOR:g})"
    )
    return figures, passed_cold and passed_floor, summary


if __name__ == "__main__":
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the server and scratch DB are cleaned up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    run(NAME, main)
