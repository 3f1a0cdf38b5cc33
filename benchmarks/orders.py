"""MARKET orders through POST /api/v1/orders/ on a running platform, against a bare DRF write floor.

Targets (the verdict is for PostgreSQL + Redis):

- accepted orders/s (201 responses / wall time, K concurrent clients) at
  least 0.5x the same-run throughput of `POST bench/floor/insert/`, a bare
  authenticated DRF endpoint that inserts one row through the ORM
  (benchmarks/_floor_urls.py). The same insert on a raw cursor
  (`bench/floor/insert-sql/`, below the framework's ORM) is measured in the
  same rounds and reported for information;
- p99 from sending the POST to the order's FILLED event under 250 ms, with
  orders sent open-loop at 50 orders/s;
- the pre-trade risk checks cost at most 15% of placement throughput: every
  round also sends the same number of orders with the checks turned off in the
  web process (POST bench/risk-checks/, bench settings only), and the cost is
  1 - (orders/s with checks) / (orders/s without).

The platform runs as in production, every process started (and always
stopped) by this script, all with DJANGO_SETTINGS_MODULE=benchmarks._bench_settings
(the product settings plus the floor URLs) and one environment (DEBUG off,
the scratch database, Redis, a scratch var dir):

- web: one gunicorn process, gthread worker with --threads threads (8);
- worker: one Celery worker process tree, `python -m celery -A trading worker
  -Q default,broker -c C` (prefork, C=2 by default: one child per core; each
  placement task is CPU-bound Python plus short database round trips, so more
  children than cores only add context switches and connections);
- feed: `python manage.py run_feed --source simulated --symbols ...`, which
  keeps the quotes fresh (MARKET orders are refused on stale quotes) and runs
  the paper exchange's engine. MARKET orders fill on arrival inside the
  worker's placement task.

Database and Redis: DATABASE_URL and REDIS_URL, defaulting to
postgres://postgres@127.0.0.1:5432/postgres and redis://127.0.0.1:6379/14; a
scratch database `<db>_bench_<pid>` is created (benchmarks._common.Scratch)
and dropped at the end, cache keys get a per-run prefix, and the Celery keys
this run adds to the Redis database are deleted at the end. `--embedded`
runs on the embedded default instead (SQLite file, filesystem Celery broker,
local-memory cache), for information only.

Seed: the demo instruments, one trader per client (trader_create_or_update),
each with a paper account (account_open, always_open=True) funded for every
order it will send; one JWT each from POST /api/v1/auth/token/. One client =
one trader = one keep-alive connection (http.client, one thread each): orders
of one account serialise on its Funds row by design, so several traders is the
realistic shape.

Runs, in order:

1. warm-up: --warmup floor requests and orders per client, then wait until
   every order is FILLED;
2. throughput: --orders MARKET BUYs (quantity 1, --product, round-robin over
   the symbols) and as many floor requests, closed-loop from --clients
   clients, in --rounds rounds alternating which goes first; after each
   orders block the script waits (polling the database) until the worker has
   filled them all, so no backlog spills into the next block. POST latency is
   client-side, request sent to body read;
3. latency: open-loop, one order every 1/--rate s for --duration s on a fixed
   schedule, order i for trader i % K, sent on whichever of
   --latency-connections (32) keep-alive connections is free: a send is late
   only if all of them are busy, and lateness is reported. Send times are
   time.time() just before the request; FILLED times are the orders' FILLED
   OrderEvent.at, read from the database after the run (same machine, same
   clock: no polling during the run). Orders not FILLED within
   --fill-timeout of their send count as misses; all must fill;
4. checks: every accepted order FILLED with one trade and one paper order;
   per account the ledger sums to cash, funds.reserved and every order's
   reserved_amount are back to 0, positions match the fills.

CPU seconds per component (web, worker, feed, PostgreSQL, Redis, this
client) and the machine's busy share are sampled around each phase from
/proc, with the load average: on a shared 2-core machine they say whether the
numbers are ours (`interference` in the JSON; above 15% other work, rerun).

`--trace DIR` runs web and worker with per-request/per-task accounting
(statements, commits, Celery publish, lock hold; benchmarks/_tracing.py);
`--profile DIR` adds cProfile (timings then inflated: not for the verdict).

    .venv/bin/python benchmarks/orders.py [--orders 2000] [--clients 8] [--rate 50] [--duration 25]
                                          [--embedded] [--trace DIR | --profile DIR]
"""

import argparse
import http.client
import importlib.metadata
import itertools
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, suppress
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repo root, not benchmarks/

from benchmarks._common import (  # noqa: E402
    REPO,
    Scratch,
    latency_summary,
    machine_info,
    percentile,
    progress,
    run,
)

NAME = "orders"
TARGET_OVER_FLOOR = 0.5
TARGET_P99_FILLED_MS = 250.0
TARGET_RISK_COST = 0.15  # the pre-trade checks may cost at most 15% of placement throughput
TARGET_RATE = 50.0
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SYMBOLS = ["SBIN-EQ", "RELIANCE-EQ", "INFY-EQ", "HDFCBANK-EQ", "TCS-EQ"]
EXCHANGE = "NSE"
ORDERS_PATH = "/api/v1/orders/"
FLOOR_PATH = "/bench/floor/insert/"  # ORM insert: the verdict's floor
RISK_PATH = "/bench/risk-checks/"  # bench settings only: the web process's checks off/on
FLOOR_SQL_PATH = "/bench/floor/insert-sql/"  # raw-cursor insert, below the ORM: information
SETTINGS_MODULE = "benchmarks._bench_settings"
CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP = threading.Event()  # set on the way out (Ctrl-C, SIGTERM, error): client threads stop sending


# --- Processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """One process (tree) in its own session, logging to a file; stopped by its pid, then its group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> "Proc":
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.command, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        progress(f"started {self.name} (pid {self.proc.pid}): {' '.join(self.command[1:])}")
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def problem_lines(self, last: int = 8) -> list[str]:
        """The last warnings, errors and tracebacks in the log (the JSON shows these, not the chatter)."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        marks = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception", "Error:")
        return [line[:300] for line in lines if any(m in line for m in marks)][-last:]

    def stop(self) -> None:
        if self.proc is None:
            return
        # The main process first (gunicorn and Celery shut their children down gracefully, so
        # traces get written), then whatever is left of the session we created.
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            progress(f"{self.name} did not stop within 20 s; killing its process group")
        finally:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            if self._log:
                self._log.close()
            self.proc = None


# --- CPU accounting from /proc -----------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, str, float, float]]:
    """pid -> (ppid, comm, own user+system CPU s, reaped children's CPU s) for every process we can read."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            data = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        rpar = data.rindex(")")
        comm = data[data.index("(") + 1 : rpar]
        f = data[rpar + 2 :].split()
        table[int(entry.name)] = (
            int(f[1]),
            comm,
            (int(f[11]) + int(f[12])) / CLK_TCK,
            (int(f[13]) + int(f[14])) / CLK_TCK,
        )
    return table


def _tree_cpu(table: dict, root: int | None) -> float:
    """CPU of a process and its live descendants (plus what it reaped: exited children count too)."""
    if root is None or root not in table:
        return 0.0
    children: dict[int, list[int]] = {}
    for pid, row in table.items():
        children.setdefault(row[0], []).append(pid)
    total, stack = table[root][3], [root]
    while stack:
        pid = stack.pop()
        total += table[pid][2]
        stack.extend(children.get(pid, ()))
    return total


def _named_cpu(table: dict, comm_prefix: str) -> float:
    """Every process of a server (e.g. PostgreSQL), including exited children reaped by its top process."""
    pids = {pid for pid, row in table.items() if row[1].startswith(comm_prefix)}
    tops = [pid for pid in pids if table[pid][0] not in pids]
    return sum(table[pid][2] for pid in pids) + sum(table[pid][3] for pid in tops)


def _machine_jiffies() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal (guest is inside user)
    return total - fields[3] - fields[4], total


class CpuMeter:
    """CPU seconds per component between two snapshots, from /proc.

    PostgreSQL and Redis are counted whole (every process of the server, with
    backends that exited meanwhile through the postmaster's reaped-children
    time): on a shared machine that includes other sessions' queries, which
    `machine_cpu_s_not_ours` cannot separate either.
    """

    def __init__(self, procs: dict[str, Proc]) -> None:
        self.procs = procs

    def snapshot(self) -> dict:
        table = _proc_table()
        busy, total = _machine_jiffies()
        snap = {name: _tree_cpu(table, p.pid if p.alive() else None) for name, p in self.procs.items()}
        worker = self.procs.get("worker")
        if worker and worker.alive() and worker.pid in table:
            snap["worker_main_process"] = table[worker.pid][2]  # consumer, pool bookkeeping; the rest is children
        snap["client"] = table.get(os.getpid(), (0, "", 0.0, 0.0))[2]
        snap["postgres"] = _named_cpu(table, "postgres")
        snap["redis"] = _named_cpu(table, "redis-server")
        snap["machine_busy"] = busy / CLK_TCK
        snap["machine_total"] = total / CLK_TCK
        snap["wall"] = time.monotonic()
        return snap

    @staticmethod
    def delta(a: dict, b: dict, units: int, unit_name: str) -> dict:
        out = {}
        for key in b:
            if key in ("machine_busy", "machine_total", "wall"):
                continue
            out[key] = b[key] - a.get(key, 0.0)
        wall = b["wall"] - a["wall"]
        busy = b["machine_busy"] - a["machine_busy"]
        capacity = b["machine_total"] - a["machine_total"]
        ours = sum(out.get(k, 0.0) for k in ("web", "worker", "feed", "client", "postgres", "redis"))
        out_total = {**out, "total_listed": ours}
        return {
            "wall_s": round(wall, 3),
            f"cpu_ms_per_{unit_name}": {k: round(v * 1000 / max(units, 1), 3) for k, v in sorted(out_total.items())},
            "cpu_s": {k: round(v, 3) for k, v in sorted(out_total.items())},
            "machine_busy_share": round(busy / capacity, 3) if capacity else None,
            "machine_cpu_s_busy": round(busy, 2),
            "machine_cpu_s_not_ours": round(busy - ours, 2),
            "units": units,
        }


# --- HTTP clients ----------------------------------------------------------------------------------


class Client:
    """One trader on one keep-alive connection."""

    def __init__(self, port: int, username: str, password: str) -> None:
        self.port = port
        self.username = username
        self.password = password
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self.connects = 0
        self.errors = 0

    def login(self) -> None:
        body = json.dumps({"username": self.username, "password": self.password})
        self.conn.request("POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"})
        self.connects += 1
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"login of {self.username} failed: {response.status} {data[:300]!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(data)['access']}"

    def post(self, path: str, body: bytes, headers: dict | None = None) -> tuple[int, bytes, float, float]:
        """(status, body, send wall time, seconds from send to body read); status 0 on a broken connection."""
        if self.conn.sock is None:
            self.connects += 1
        sent = time.time()
        start = time.perf_counter()
        try:
            self.conn.request("POST", path, body=body, headers=headers or self.headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as exc:
            self.errors += 1
            self.conn.close()
            return 0, repr(exc).encode(), sent, time.perf_counter() - start
        return response.status, data, sent, time.perf_counter() - start


def risk_checks(client: Client, *, enabled: bool) -> None:
    status, data, _, _ = client.post(RISK_PATH, json.dumps({"enabled": enabled}).encode())
    if status != 200 or json.loads(data)["enabled"] is not enabled:
        raise RuntimeError(f"could not turn the risk checks {'on' if enabled else 'off'}: {status} {data[:200]!r}")


def order_bodies(product: str) -> list[bytes]:
    return [
        json.dumps(
            {
                "exchange": EXCHANGE,
                "symbol": symbol,
                "side": "BUY",
                "quantity": 1,
                "order_type": "MARKET",
                "product": product,
            }
        ).encode()
        for symbol in SYMBOLS
    ]


class Result:
    """What one block of requests returned."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.elapsed: list[float] = []  # successful (201) requests
        self.codes: Counter = Counter()
        self.samples: dict[int, str] = {}  # one body per unexpected status
        self.sent: dict[int, float] = {}  # order id -> send wall time
        self.lateness: list[float] = []  # open loop only
        self.send_times: list[float] = []  # open loop only
        self.wall = 0.0
        self.lock = threading.Lock()

    def record(self, status: int, data: bytes, sent: float, elapsed: float, parse_id: bool) -> None:
        with self.lock:
            self.codes[status] += 1
            if status == 201:
                self.elapsed.append(elapsed)
                if parse_id:
                    self.sent[json.loads(data)["id"]] = sent
            elif status not in self.samples:
                self.samples[status] = data[:300].decode(errors="replace")

    @property
    def ok(self) -> int:
        return self.codes.get(201, 0)

    def non_201(self) -> dict:
        return {str(code): n for code, n in sorted(self.codes.items()) if code != 201}


def closed_loop(clients: list[Client], path: str, bodies: list[bytes], n: int, parse_id: bool) -> Result:
    """n requests, each client sending its next one as soon as its previous answer is read."""
    result = Result(n)
    counter = itertools.count()
    barrier = threading.Barrier(len(clients) + 1)

    def work(client: Client) -> None:
        barrier.wait()
        while not STOP.is_set():
            i = next(counter)
            if i >= n:
                return
            result.record(*client.post(path, bodies[i % len(bodies)]), parse_id)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - start
    return result


def open_loop(
    senders: list[Client], traders: list[Client], bodies: list[bytes], rate: float, duration: float
) -> Result:
    """Order i is due at start + i/rate, for trader i % K, on whichever connection is free.

    Each sender thread takes the next order number, sleeps until it is due and
    sends it: with enough connections the schedule never waits for answers; a
    send is late only when every connection has a request in flight.
    """
    total = int(rate * duration)
    result = Result(total)
    start = time.perf_counter() + 0.2
    counter = itertools.count()

    def work(sender: Client) -> None:
        while not STOP.is_set():
            i = next(counter)
            if i >= total:
                return
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0 and STOP.wait(delay):
                return
            late = time.perf_counter() - due
            trader = traders[i % len(traders)]
            status, data, sent, elapsed = sender.post(ORDERS_PATH, bodies[i % len(bodies)], trader.headers)
            with result.lock:
                result.lateness.append(max(0.0, late))
                result.send_times.append(sent)
            result.record(status, data, sent, elapsed, True)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - start
    return result


# --- Seeding, waiting, reading back ------------------------------------------------------------


def seed(clients: int, orders_per_client: int, product: str) -> dict:
    from accounts.services import trader_create_or_update
    from marketdata.demo import demo_instruments_import
    from marketdata.feeds import demo_reference_prices
    from marketdata.models import Instrument
    from orders.services import account_open

    report = demo_instruments_import()
    instruments = {
        i.symbol: i for i in Instrument.objects.filter(exchange=EXCHANGE, symbol__in=SYMBOLS, is_active=True)
    }
    missing = [s for s in SYMBOLS if s not in instruments]
    if missing:
        raise RuntimeError(f"demo instruments missing: {missing}")
    references = demo_reference_prices()
    top_price = max(Decimal(str(references.get(f"{EXCHANGE}:{s}", {}).get("price", 5000))) for s in SYMBOLS)
    # Every order blocks at most ~price x 1.01 (CNC: the full value, later held as margin): three
    # times the expected count at twice the highest reference price leaves room for any drift
    # and for one client taking more than its share of the closed-loop run.
    funds = (Decimal(3 * orders_per_client) * top_price * 2).quantize(Decimal(1))
    traders = []
    for n in range(clients):
        password = secrets.token_urlsafe(18)
        user, _ = trader_create_or_update(username=f"bench-orders-{n}", password=password)
        account = account_open(user=user, starting_funds=funds, always_open=True)
        traders.append({"username": user.username, "password": password, "user_id": user.pk, "account_id": account.id})
    return {
        "traders": traders,
        "instrument_ids": [instruments[s].id for s in SYMBOLS],
        "starting_funds_per_trader": str(funds),
        "demo_import": report.summary(),
        "product": product,
    }


def wait_terminal(account_ids: list[int], timeout: float, poll: float = 0.25) -> tuple[bool, float]:
    """Wait until no order of these accounts is unfinished; (all finished, seconds waited)."""
    from django.db import connections

    from orders.models import TERMINAL, Order

    start = time.monotonic()
    try:
        while True:
            left = Order.objects.filter(account_id__in=account_ids).exclude(status__in=TERMINAL).count()
            if not left:
                return True, time.monotonic() - start
            if time.monotonic() - start > timeout:
                return False, time.monotonic() - start
            time.sleep(poll)
    finally:
        connections.close_all()


def events_for(order_ids: list[int]) -> dict[int, dict[str, float]]:
    """order id -> {to_status: first event time (epoch seconds)} for NEW, SUBMITTED, FILLED."""
    from django.db import connections

    from orders.models import OrderEvent

    out: dict[int, dict[str, float]] = {}
    ids = sorted(order_ids)
    for i in range(0, len(ids), 500):
        rows = OrderEvent.objects.filter(
            order_id__in=ids[i : i + 500], to_status__in=["NEW", "SUBMITTED", "FILLED"]
        ).values_list("order_id", "to_status", "at")
        for order_id, to_status, at in rows:
            times = out.setdefault(order_id, {})
            ts = at.timestamp()
            if to_status not in times or ts < times[to_status]:
                times[to_status] = ts
    connections.close_all()
    return out


def ms_summary(seconds: list[float]) -> dict | None:
    if not seconds:
        return None
    s = latency_summary(seconds)
    return {"n": s["n"], "p50_ms": s["median_ms"], "p90_ms": s["p90_ms"], "p99_ms": s["p99_ms"], "max_ms": s["max_ms"]}


def fill_times(sent: dict[int, float], timeout: float) -> dict:
    """POST-to-FILLED (and its parts) from the server's events for orders sent at `sent` times."""
    events = events_for(list(sent))
    to_filled, to_new, new_to_submitted, submitted_to_filled = [], [], [], []
    never, late = [], []
    for order_id, sent_at in sent.items():
        times = events.get(order_id, {})
        filled = times.get("FILLED")
        if filled is None:
            never.append(order_id)
            continue
        to_filled.append(filled - sent_at)
        if filled - sent_at > timeout:
            late.append(order_id)
        if "NEW" in times:
            to_new.append(times["NEW"] - sent_at)
        if "NEW" in times and "SUBMITTED" in times:
            new_to_submitted.append(times["SUBMITTED"] - times["NEW"])
        if "SUBMITTED" in times:
            submitted_to_filled.append(filled - times["SUBMITTED"])
    return {
        "orders": len(sent),
        "filled": len(to_filled),
        "never_filled": len(never),
        "filled_after_timeout": len(late),
        "fill_timeout_s": timeout,
        "post_to_filled": ms_summary(to_filled),
        "parts": {
            "send_to_NEW_event (web: request, checks, until the insert; commit follows)": ms_summary(to_new),
            "NEW_to_SUBMITTED (commit, Celery publish, queue, worker pickup, claim)": ms_summary(new_to_submitted),
            "SUBMITTED_to_FILLED (worker: paper placement, fill, apply update)": ms_summary(submitted_to_filled),
        },
        "never_filled_sample": never[:10],
        "_raw_to_filled": to_filled,
    }


def verify(account_ids: list[int], accepted: int) -> dict:
    """Every accepted order FILLED once; per account the money adds up and nothing stays reserved."""
    from django.db import connections
    from django.db.models import Count, Sum

    from brokers.models import PaperOrder
    from orders.models import Funds, LedgerEntry, Order, Position, Trade
    from orders.services import position_margin

    problems: list[str] = []
    statuses = dict(
        Order.objects.filter(account_id__in=account_ids).values_list("status").annotate(n=Count("id")).order_by()
    )
    orders = sum(statuses.values())
    if orders != accepted:
        problems.append(f"{orders} orders stored, {accepted} accepted (201)")
    if set(statuses) - {"FILLED"}:
        problems.append(f"orders not FILLED: { {k: v for k, v in statuses.items() if k != 'FILLED'} }")
    trades = Trade.objects.filter(account_id__in=account_ids).count()
    if trades != orders:
        problems.append(f"{trades} trades for {orders} orders")
    paper = PaperOrder.objects.filter(account_id__in=account_ids).count()
    if paper != orders:
        problems.append(f"{paper} paper orders for {orders} orders (each must reach the exchange exactly once)")
    left_reserved = Order.objects.filter(account_id__in=account_ids).exclude(reserved_amount=0).count()
    if left_reserved:
        problems.append(f"{left_reserved} orders still hold a reservation")
    accounts = []
    for account_id in account_ids:
        funds = Funds.objects.get(account_id=account_id)
        ledger = LedgerEntry.objects.filter(account_id=account_id).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        filled = dict(
            Order.objects.filter(account_id=account_id, status="FILLED")
            .values_list("instrument_id")
            .annotate(q=Sum("filled_quantity"))
            .order_by()
        )
        positions = dict(
            Position.objects.filter(account_id=account_id)
            .exclude(net_quantity=0)
            .values_list("instrument_id", "net_quantity")
        )
        # The service's definition: each position's margin rounded, then summed.
        margin = sum(
            (
                position_margin(
                    instrument=p.instrument,
                    product=p.product,
                    net_quantity=p.net_quantity,
                    average_price=p.average_price,
                )
                for p in Position.objects.filter(account_id=account_id).select_related("instrument")
            ),
            Decimal(0),
        )
        ok = {
            "ledger_sums_to_cash": ledger == funds.cash,
            "reserved_zero": funds.reserved == 0,
            "positions_match_fills": positions == filled,
            "margin_used_matches_positions": margin == funds.margin_used,
        }
        for name, good in ok.items():
            if not good:
                problems.append(f"account {account_id}: {name} fails")
        accounts.append(
            f"account {account_id}: {sum(filled.values())} filled; cash {funds.cash} vs ledger sum {ledger}; "
            f"reserved {funds.reserved}; margin_used {funds.margin_used} vs positions {margin}: "
            + ("ok" if all(ok.values()) else "FAILED " + ", ".join(k for k, v in ok.items() if not v))
        )
    connections.close_all()
    return {
        "ok": not problems,
        "problems": problems,
        "orders": orders,
        "statuses": statuses,
        "trades": trades,
        "paper_orders": paper,
        "accounts": accounts,
    }


# --- Redis housekeeping ------------------------------------------------------------------------------


CELERY_KEY_PREFIXES = (b"celery-task-meta-", b"_kombu.binding", b"unacked", b"default", b"broker")


def redis_keys(url: str) -> set[bytes] | None:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    if client.dbsize() > 200_000:
        return None
    return set(client.scan_iter(count=2000))


def redis_cleanup(url: str, before: set[bytes] | None, cache_prefix: str | None) -> dict:
    """Delete the Celery/kombu keys this run added (results, bindings, queues); report the rest.

    Keys under this run's cache prefix are left to Scratch, which deletes them next."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    if before is None:
        return {"skipped": "database too large to snapshot"}
    added = set(client.scan_iter(count=2000)) - before
    ours = [k for k in added if k.startswith(CELERY_KEY_PREFIXES) or b".reply.celery.pidbox" in k]
    for i in range(0, len(ours), 1000):
        client.delete(*ours[i : i + 1000])
    mine = (cache_prefix or "\0").encode()
    others = sorted(k.decode(errors="replace") for k in added if k not in set(ours) and not k.startswith(mine))
    return {"deleted_celery_keys": len(ours), "other_new_keys": len(others), "other_new_keys_sample": others[:10]}


def redis_queue_lengths(url: str) -> dict:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    return {q: client.llen(q) for q in ("default", "broker")}


# --- Trace summaries ---------------------------------------------------------------------------------


def trace_summary(directory: Path, print_profiles: bool) -> dict:
    """Merge the per-process trace files into per-kind means (and print merged profiles to stderr)."""
    import pstats

    merged: dict[str, dict] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        for kind, k in data["kinds"].items():
            name = f"{data['label']}:{kind}"
            m = merged.setdefault(
                name,
                {"n": 0, "wall": [], "cpu": [], "queries": 0, "db_s": 0.0, "commits": 0, "commit_s": 0.0, "enqueues": 0,
                 "enqueue_s": 0.0, "lock_hold": [], "sql": Counter(), "processes": 0},
            )  # fmt: skip
            m["processes"] += 1
            m["n"] += k["n"]
            m["wall"] += k["wall_s"]
            m["cpu"] += k.get("cpu_s", [])
            m["lock_hold"] += k["lock_hold_s"]
            for field in ("queries", "db_s", "commits", "commit_s", "enqueues", "enqueue_s"):
                m[field] += k[field]
            m["sql"].update(k["sql"])
    out = {}
    for name, m in sorted(merged.items()):
        n = m["n"]
        out[name] = {
            "units": n,
            "processes": m["processes"],
            "wall_ms_mean": round(sum(m["wall"]) / n * 1000, 3),
            "wall_ms_p50": round(percentile(m["wall"], 50) * 1000, 3),
            "wall_ms_p99": round(percentile(m["wall"], 99) * 1000, 3),
            "thread_cpu_ms_mean": round(sum(m["cpu"]) / n * 1000, 3) if m["cpu"] else None,
            "sql_statements_per_unit": round(m["queries"] / n, 2),
            "sql_ms_per_unit": round(m["db_s"] / n * 1000, 3),
            "commits_per_unit": round(m["commits"] / n, 2),
            "commit_ms_per_unit": round(m["commit_s"] / n * 1000, 3),
            "celery_publishes_per_unit": round(m["enqueues"] / n, 2),
            "celery_publish_ms_per_unit": round(m["enqueue_s"] / n * 1000, 3) if m["enqueues"] else 0.0,
            "funds_lock_to_publish_ms": ms_summary(m["lock_hold"]),
            "sql_per_unit": {key: round(c / n, 2) for key, c in m["sql"].most_common()},
        }
    if print_profiles:
        groups: dict[str, list[Path]] = {}
        for path in directory.glob("*.prof"):
            if path.name.endswith(".merged.prof"):
                continue
            label, rest = path.stem.split("-", 1)
            kind = rest.rsplit("-", 1)[0]
            groups.setdefault(f"{label}-{kind}", []).append(path)
        for group, paths in sorted(groups.items()):
            stats = pstats.Stats(*[str(p) for p in paths], stream=sys.stderr)
            stats.dump_stats(directory / f"{group}.merged.prof")
            print(f"\n===== {group} ({len(paths)} process(es)) =====", file=sys.stderr)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
    return out


# --- The run ---------------------------------------------------------------------------------------------


def pick_backends(args) -> dict:
    """Point DATABASE_URL/REDIS_URL at what this run uses (before Scratch reads them)."""
    if args.embedded:
        dropped = {k: bool(os.environ.pop(k, None)) for k in ("DATABASE_URL", "REDIS_URL")}
        return {"mode": "embedded (SQLite file, filesystem Celery broker, local-memory cache)", "ignored_env": dropped}
    chosen = {}
    for key, default in (("DATABASE_URL", DEFAULT_DATABASE_URL), ("REDIS_URL", DEFAULT_REDIS_URL)):
        given = os.environ.get(key)
        if not given:
            os.environ[key] = default
        chosen[key] = {"url": _redact(os.environ[key]), "source": "environment" if given else "default"}
    if urlsplit(os.environ["DATABASE_URL"]).scheme not in {"postgres", "postgresql", "pgsql"}:
        raise RuntimeError("DATABASE_URL must point at PostgreSQL (or run with --embedded)")
    return {"mode": "postgresql + redis", **chosen}


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def child_env(trace_dir: Path | None, cprofile: bool, clock: str, settings_module: str) -> dict[str, str]:
    env = dict(os.environ)  # Scratch's: TRADING_VAR_DIR, scratch DATABASE_URL, REDIS_URL, CACHE_KEY_PREFIX, DEBUG off
    env.pop("SENTRY_DSN", None)
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        JWT_ACCESS_MINUTES="240",  # one token per client for the whole run
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        # The platform's capacity is measured, not the per-user limits: every client logs in from one address
        # and sends orders faster than a trader may (ORDER_RATE_LIMIT, 10/s by default).
        LOGIN_RATE_LIMIT="1000000/m",
        ORDER_RATE_LIMIT="1000000/s",
        API_RATE_LIMIT="1000000/s",
    )
    if trace_dir:
        env["BENCH_TRACE_DIR"] = str(trace_dir)
        env["BENCH_CPROFILE"] = "1" if cprofile else "0"
        env["BENCH_CPROFILE_CLOCK"] = clock
    return env


def wait_for(what: str, check, timeout: float, procs: list[Proc]) -> None:
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        for p in procs:
            p.check_alive()
        try:
            if check():
                return
        except Exception as exc:  # not ready yet
            last_error = exc
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready within {timeout:.0f} s (last error: {last_error!r})")


def main() -> tuple[dict, bool, str]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="orders in the throughput run (and floor requests)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients = traders = connections")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds (floor and orders alternate)")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up orders and floor requests per client")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="orders/s in the latency run")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds of the latency run")
    parser.add_argument(
        "--latency-connections", type=int, default=32,
        help="keep-alive connections the latency run's schedule may use (orders still go to the K traders)",
    )  # fmt: skip
    parser.add_argument("--fill-timeout", type=float, default=10.0, help="an order FILLED later than this is a miss")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="max wait for the worker to fill a block")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn gthread threads (one worker process)")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery prefork children")
    parser.add_argument("--product", choices=["CNC", "MIS"], default="CNC")
    parser.add_argument("--embedded", action="store_true", help="SQLite + filesystem broker (information only)")
    parser.add_argument("--skip-throughput", action="store_true", help="only the latency run (diagnosis)")
    parser.add_argument("--skip-latency", action="store_true", help="only the throughput run (diagnosis)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--trace", type=Path, metavar="DIR", help="account statements/commits/publish per request/task")
    group.add_argument("--profile", type=Path, metavar="DIR", help="--trace plus cProfile (timings inflated)")
    parser.add_argument(
        "--profile-clock", choices=["cpu", "wall"], default="cpu",
        help="--profile: time functions by the thread's CPU clock (where CPU goes) or the wall clock (where waits are)",
    )  # fmt: skip
    parser.add_argument(
        "--settings", default=SETTINGS_MODULE, metavar="MODULE",
        help="settings module for web, worker and feed, to measure a candidate change without editing product "
        "files (it should star-import benchmarks._bench_settings; put its directory on PYTHONPATH)",
    )  # fmt: skip
    args = parser.parse_args()
    counts = (args.orders, args.clients, args.rounds, args.threads, args.worker_concurrency, args.latency_connections)
    if min(counts) < 1 or args.rate <= 0:
        parser.error("counts and the rate must be positive")
    trace_dir = (args.profile or args.trace).resolve() if (args.profile or args.trace) else None
    if trace_dir:
        trace_dir.mkdir(parents=True, exist_ok=True)
        for old in itertools.chain(trace_dir.glob("web-*"), trace_dir.glob("worker-*")):
            old.unlink()

    chosen = pick_backends(args)
    load_start = os.getloadavg()
    latency_total = int(args.rate * args.duration)
    # Throughput sends --orders with the risk checks on and as many again with them off.
    per_client = args.warmup + 2 * math.ceil(args.orders / args.clients) + math.ceil(latency_total / args.clients)

    with Scratch(NAME) as scratch, ExitStack() as stack:
        from django.db import connection, connections

        from benchmarks._floor_urls import FLOOR_INSERT_TABLE, floor_insert_table_create

        progress(f"seeding: demo instruments, {args.clients} traders with accounts, the floor table")
        seeded = seed(args.clients, per_client, args.product)
        floor_insert_table_create(connection)
        backend = scratch.backend_info()
        account_ids = [t["account_id"] for t in seeded["traders"]]
        redis_url = os.environ.get("REDIS_URL")
        redis_before = redis_keys(redis_url) if redis_url else None
        figures_extra: dict = {}
        if redis_url:
            stack.callback(
                lambda: figures_extra.update(redis_cleanup=redis_cleanup(redis_url, redis_before, scratch.cache_prefix))
            )
            figures_extra["redis_queue_lengths_at_start"] = redis_queue_lengths(redis_url)
        connections.close_all()

        env = child_env(trace_dir, bool(args.profile), args.profile_clock, args.settings)
        log_dir = scratch.tmp / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        symbols_arg = ",".join(f"{EXCHANGE}:{s}" for s in SYMBOLS)
        port = free_port()
        celery_app = "benchmarks._traced_celery" if trace_dir else "trading"
        wsgi_app = "benchmarks._traced_wsgi:application" if trace_dir else "trading.wsgi"
        commands = {
            "feed": [sys.executable, "manage.py", "run_feed", "--source", "simulated", "--symbols", symbols_arg],
            "worker": [
                sys.executable, "-m", "celery", "-A", celery_app, "worker", "-Q", "default,broker",
                "-c", str(args.worker_concurrency), "-n", f"bench-orders-{os.getpid()}@%h",
            ],
            "web": [
                sys.executable, "-m", "gunicorn", wsgi_app, "-w", "1", "-k", "gthread", "--threads", str(args.threads),
                "-b", f"127.0.0.1:{port}", "--keep-alive", "600", "--timeout", "300", "--graceful-timeout", "20",
                "--log-level", "warning",
            ],
        }  # fmt: skip
        procs: dict[str, Proc] = {}
        for name in ("feed", "worker", "web"):  # stopped in reverse order by the ExitStack
            procs[name] = Proc(name, commands[name], env, log_dir)
            stack.callback(procs[name].stop)
            procs[name].start()
        stack.callback(STOP.set)  # first thing on the way out: no new requests while the server stops

        from marketdata.models import FeedStatus, Quote

        def feed_ready() -> bool:
            try:
                if not FeedStatus.objects.filter(pid=procs["feed"].pid).exists():
                    return False
                fresh = Quote.objects.filter(
                    instrument_id__in=seeded["instrument_ids"], timestamp__gte=_utc(time.time() - 2)
                ).count()
                return fresh == len(SYMBOLS)
            finally:
                connections.close_all()

        def worker_ready() -> bool:
            from monitoring.tasks import ping

            ping.apply_async(args=["ready"], queue="default").get(timeout=3)
            return True

        def web_ready() -> bool:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/health/live")
                return conn.getresponse().status == 200
            finally:
                conn.close()

        all_procs = list(procs.values())
        wait_for("feed (heartbeat and fresh quotes)", feed_ready, 60, all_procs)
        wait_for("Celery worker (ping task)", worker_ready, 90, all_procs)
        wait_for("gunicorn (/health/live)", web_ready, 60, all_procs)
        progress(f"platform up: web on port {port}, worker, feed")

        meter = CpuMeter(procs)
        clients = [Client(port, t["username"], t["password"]) for t in seeded["traders"]]
        for c in clients:
            c.login()
        bodies = order_bodies(args.product)
        floor_bodies = bodies  # the same JSON body: parsing it is part of the floor
        accepted_total = 0
        phases: dict[str, dict] = {}

        # 1. Warm-up: every thread, connection and code path once, then an empty queue.
        progress(f"warm-up: {args.warmup} floor requests and {args.warmup} orders per client")
        warm_floor = closed_loop(clients, FLOOR_PATH, floor_bodies, args.warmup * len(clients), False)
        warm_floor_sql = closed_loop(clients, FLOOR_SQL_PATH, floor_bodies, args.warmup * len(clients), False)
        warm_orders = closed_loop(clients, ORDERS_PATH, bodies, args.warmup * len(clients), True)
        accepted_total += warm_orders.ok
        if any(w.ok != w.expected for w in (warm_orders, warm_floor, warm_floor_sql)):
            raise RuntimeError(
                f"warm-up failed: orders {dict(warm_orders.codes)} {warm_orders.samples}, "
                f"floor {dict(warm_floor.codes)} {warm_floor.samples}, "
                f"floor_sql {dict(warm_floor_sql.codes)} {warm_floor_sql.samples}"
            )
        done, waited = wait_terminal(account_ids, args.drain_timeout)
        if not done:
            raise RuntimeError(f"warm-up orders not finished after {waited:.0f} s:\n{procs['worker'].log_tail()}")
        warm_fill = fill_times(warm_orders.sent, args.fill_timeout)

        # 2. Throughput: floor and orders blocks, alternating which goes first.
        throughput: dict = {}
        if not args.skip_throughput:
            per_round = [
                args.orders // args.rounds + (1 if r < args.orders % args.rounds else 0) for r in range(args.rounds)
            ]
            blocks = {"orders": [], "floor": [], "floor_sql": [], "orders_risk_off": []}
            drains = []
            cpu_orders, cpu_floor, cpu_floor_sql = [], [], []
            kinds = ("floor", "floor_sql", "orders", "orders_risk_off")
            for r, n in enumerate(per_round):
                for kind in kinds if r % 2 == 0 else kinds[::-1]:
                    progress(f"throughput round {r + 1}/{args.rounds}: {n} {kind} requests from {len(clients)} clients")
                    before = meter.snapshot()
                    if kind == "floor":
                        res = closed_loop(clients, FLOOR_PATH, floor_bodies, n, False)
                        cpu_floor.append(meter.delta(before, meter.snapshot(), res.ok, "request"))
                    elif kind == "floor_sql":
                        res = closed_loop(clients, FLOOR_SQL_PATH, floor_bodies, n, False)
                        cpu_floor_sql.append(meter.delta(before, meter.snapshot(), res.ok, "request"))
                    elif kind == "orders_risk_off":
                        risk_checks(clients[0], enabled=False)
                        try:
                            res = closed_loop(clients, ORDERS_PATH, bodies, n, True)
                        finally:
                            risk_checks(clients[0], enabled=True)
                        accepted_total += res.ok
                        done, waited = wait_terminal(account_ids, args.drain_timeout)
                        if not done:
                            raise RuntimeError(f"orders (risk off) not finished {waited:.0f} s after the block")
                    else:
                        res = closed_loop(clients, ORDERS_PATH, bodies, n, True)
                        accepted_total += res.ok
                        done, waited = wait_terminal(account_ids, args.drain_timeout)
                        after = meter.snapshot()
                        cpu_orders.append(meter.delta(before, after, res.ok, "order"))
                        drains.append(
                            {
                                "finished": done,
                                "drain_after_last_post_s": round(waited, 2),
                                "post_wall_s": round(res.wall, 3),
                            }
                        )
                        if not done:
                            raise RuntimeError(
                                f"orders not finished {waited:.0f} s after the block:\n{procs['worker'].log_tail()}"
                            )
                    blocks[kind].append(res)
                    progress(f"  {res.ok}/{n} ok in {res.wall:.2f} s = {res.ok / res.wall:.1f}/s")

            def merged(results: list[Result]) -> dict:
                ok = sum(r.ok for r in results)
                wall = sum(r.wall for r in results)
                codes = Counter()
                samples = {}
                for r in results:
                    codes.update(r.codes)
                    samples.update({str(k): v for k, v in r.samples.items()})
                return {
                    "requests": sum(r.expected for r in results),
                    "ok_201": ok,
                    "non_201": {str(k): v for k, v in sorted(codes.items()) if k != 201},
                    "non_201_samples": samples,
                    "wall_s": round(wall, 3),
                    "per_s": round(ok / wall, 1),
                    "per_s_by_block": [round(r.ok / r.wall, 1) for r in results],
                    "post_latency": ms_summary([e for r in results for e in r.elapsed]),
                }

            orders_fig, floor_fig = merged(blocks["orders"]), merged(blocks["floor"])
            risk_off_fig = merged(blocks["orders_risk_off"])
            floor_sql_fig = merged(blocks["floor_sql"])
            sent_all = {k: v for r in blocks["orders"] for k, v in r.sent.items()}
            backlog = fill_times(sent_all, args.drain_timeout)
            backlog.pop("_raw_to_filled")
            orders_fig["end_to_end_orders_per_s (first POST to last FILLED, per block)"] = [
                round(r.ok / (r.wall + d["drain_after_last_post_s"]), 1)
                for r, d in zip(blocks["orders"], drains, strict=True)
            ]
            orders_fig["drains"] = drains
            orders_fig["post_to_filled_under_full_load (info: includes the worker's backlog)"] = backlog[
                "post_to_filled"
            ]
            throughput = {
                "orders": orders_fig,
                "orders_risk_checks_off": risk_off_fig,
                "risk_checks_cost": round(1 - orders_fig["per_s"] / risk_off_fig["per_s"], 3),
                "floor": floor_fig,
                "accepted_over_floor": round(orders_fig["per_s"] / floor_fig["per_s"], 3),
                "floor_raw_sql (info: the same insert on a raw cursor, below the ORM)": floor_sql_fig,
                "accepted_over_raw_sql_floor (info)": round(orders_fig["per_s"] / floor_sql_fig["per_s"], 3),
            }
            phases["throughput_orders (POSTs + drain)"] = _merge_cpu(cpu_orders)
            phases["throughput_floor"] = _merge_cpu(cpu_floor)
            phases["throughput_floor_raw_sql"] = _merge_cpu(cpu_floor_sql)

        # 3. Latency: open loop at --rate.
        latency: dict = {}
        if not args.skip_latency:
            time.sleep(1.0)
            progress(
                f"latency: {latency_total} orders open-loop at {args.rate:g}/s for {len(clients)} traders "
                f"over up to {args.latency_connections} connections"
            )
            before = meter.snapshot()
            senders = [Client(port, "", "") for _ in range(args.latency_connections)]
            paced = open_loop(senders, clients, bodies, args.rate, args.duration)
            for sender in senders:
                sender.conn.close()
            accepted_total += paced.ok
            done, waited = wait_terminal(account_ids, args.drain_timeout)
            phases["latency_run (sends + drain)"] = meter.delta(before, meter.snapshot(), paced.ok, "order")
            fills = fill_times(paced.sent, args.fill_timeout)
            fills.pop("_raw_to_filled")
            latency = {
                "target_rate_per_s": args.rate,
                "scheduled": paced.expected,
                "send_window_s": round(paced.wall, 3),
                "achieved_send_rate_per_s": round(
                    (len(paced.send_times) - 1) / (max(paced.send_times) - min(paced.send_times)), 2
                )
                if len(paced.send_times) > 1
                else None,
                "ok_201": paced.ok,
                "non_201": paced.non_201(),
                "non_201_samples": {str(k): v for k, v in paced.samples.items()},
                "send_lateness": {
                    "max_ms": round(max(paced.lateness) * 1000, 3) if paced.lateness else None,
                    "late_over_10ms": sum(1 for x in paced.lateness if x > 0.010),
                },
                "post_latency": ms_summary(paced.elapsed),
                "drained": done,
                "drain_after_last_send_s": round(waited, 2),
                **fills,
            }
            shown = latency["post_to_filled"] or {}
            progress(
                f"  POST->FILLED p50 {shown.get('p50_ms')} ms, p99 {shown.get('p99_ms')} ms; "
                f"{fills['filled']}/{len(paced.sent)} filled"
            )

        # 4. Checks.
        done, _ = wait_terminal(account_ids, args.drain_timeout)
        checks = verify(account_ids, accepted_total)
        if redis_url:
            figures_extra["redis_queue_lengths_at_end"] = redis_queue_lengths(redis_url)
        load_end = os.getloadavg()
        logs = {name: p.problem_lines() for name, p in procs.items() if p.problem_lines()}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {FLOOR_INSERT_TABLE}")
            floor_rows = cursor.fetchone()[0]
        connections.close_all()
        versions = {
            "gunicorn": importlib.metadata.version("gunicorn"),
            "celery": importlib.metadata.version("celery"),
            "django": importlib.metadata.version("django"),
            "djangorestframework": importlib.metadata.version("djangorestframework"),
        }
        # Leaving the with-block stops web, worker and feed (traces are written on their way out),
        # removes this run's Celery keys, then drops the scratch database.

    trace = trace_summary(trace_dir, print_profiles=bool(args.profile)) if trace_dir else None

    # --- Verdict ----------------------------------------------------------------------------------
    ratio = throughput.get("accepted_over_floor")
    pf = (latency.get("post_to_filled") if latency else None) or {}
    p99 = pf.get("p99_ms")
    all_filled = bool(latency) and latency["filled"] == latency["orders"] and not latency["filled_after_timeout"]
    pass_ratio = ratio is not None and ratio >= TARGET_OVER_FLOOR
    pass_latency = p99 is not None and p99 < TARGET_P99_FILLED_MS and all_filled
    pass_checks = checks["ok"] and not throughput.get("orders", {}).get("non_201") and not latency.get("non_201")
    risk_cost = throughput.get("risk_checks_cost")
    pass_risk = risk_cost is not None and risk_cost <= TARGET_RISK_COST
    rate_ok = bool(latency) and latency["achieved_send_rate_per_s"] >= 0.97 * args.rate
    passed = pass_ratio and pass_latency and pass_checks and rate_ok and pass_risk
    figures = {
        "config": {
            "orders": args.orders,
            "clients": args.clients,
            "rounds": args.rounds,
            "warmup_per_client": args.warmup,
            "latency_rate_per_s": args.rate,
            "latency_duration_s": args.duration,
            "latency_connections": args.latency_connections,
            "fill_timeout_s": args.fill_timeout,
            "order": f"MARKET BUY 1 {args.product}, round-robin over {', '.join(f'{EXCHANGE}:{s}' for s in SYMBOLS)}",
            "web": f"gunicorn {versions['gunicorn']}: 1 worker process, gthread, {args.threads} threads, keep-alive",
            "worker": (
                f"celery {versions['celery']}: one worker process tree, prefork -c {args.worker_concurrency} "
                "(one child per core on this 2-core machine: the placement task is CPU-bound Python with short "
                "database round trips; more children only add context switches and connections)"
            ),
            "feed": "manage.py run_feed --source simulated --symbols " + symbols_arg,
            "commands": {name: " ".join(c[1:] if c[0] == sys.executable else c) for name, c in commands.items()},
            "settings": args.settings,
            "beat": "not running (no order needs the outbox sweep or reconciliation here)",
            "client": "http.client keep-alive connections, one thread each, in this process: one per client "
            "(= trader) in the throughput run; a pool of --latency-connections in the latency run",
            "traced": "cProfile + accounting" if args.profile else ("accounting" if args.trace else False),
            "versions": versions,
        },
        "backend": {**chosen, **backend},
        "machine": machine_info(),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
        "seed": {k: v for k, v in seeded.items() if k != "traders"} | {"traders": len(seeded["traders"])},
        "warmup": {
            "orders_ok": warm_orders.ok,
            "floor_ok": warm_floor.ok,
            "post_to_filled": warm_fill["post_to_filled"],
        },
        "throughput": throughput or "skipped",
        "latency": latency or "skipped",
        "cpu": phases,
        "checks": checks | {"floor_rows_inserted": floor_rows},
        "targets": {
            "accepted_over_floor": {"value": ratio, "target": f">= {TARGET_OVER_FLOOR}", "pass": pass_ratio},
            "p99_post_to_filled_ms_at_rate": {
                "value": p99,
                "target": f"< {TARGET_P99_FILLED_MS:g} at {args.rate:g}/s, "
                f"every order FILLED within {args.fill_timeout:g} s",
                "pass": pass_latency,
            },
            "risk_checks_cost (1 - orders/s with checks on / off)": {
                "value": risk_cost,
                "target": f"<= {TARGET_RISK_COST}",
                "pass": pass_risk,
            },
            "send_rate_achieved": rate_ok,
            "correctness": pass_checks,
        },
        "verdict_scope": "informational (embedded)" if args.embedded else "PostgreSQL + Redis",
        **figures_extra,
    }
    shares = {
        phase: round(v["machine_cpu_s_not_ours"] / v["machine_cpu_s_busy"], 3)
        for phase, v in phases.items()
        if v and v.get("machine_cpu_s_busy")
    }
    worst = max(shares.values(), default=0.0)
    figures["interference"] = {
        "not_ours_share_of_busy_cpu_by_phase": shares,
        "loadavg_1min_start": round(load_start[0], 2),
        "machine_was_busy": worst > 0.15,
        "note": "share of the machine's busy CPU time used by processes other than web, worker, feed, "
        "PostgreSQL, Redis and this client; above 0.15 the run competed with other work: rerun when quiet",
    }
    if trace:
        figures["trace"] = {"dir": str(trace_dir), "kinds": trace}
    if logs:
        figures["process_log_tails"] = logs
    db = f"{backend['database']}/{'redis' if backend['redis'] else 'embedded broker'}"
    tp = throughput.get("orders", {})
    fl = throughput.get("floor", {})
    fl_sql = throughput.get("floor_raw_sql (info: the same insert on a raw cursor, below the ORM)", {})
    ratio_sql = throughput.get("accepted_over_raw_sql_floor (info)")
    post = tp.get("post_latency") or {}
    filled = f"{latency['filled']}/{latency['orders']}" if latency else "-"
    summary = (
        ("PROFILED/TRACED RUN, timings inflated: " if trace_dir else "")
        + ("EMBEDDED (informational): " if args.embedded else "")
        + (f"CANDIDATE SETTINGS {args.settings}: " if args.settings != SETTINGS_MODULE else "")
        + f"{db}: {tp.get('per_s')} orders/s accepted vs floor {fl.get('per_s')}/s = x{ratio} "
        f"(target >= {TARGET_OVER_FLOOR}; raw-SQL floor {fl_sql.get('per_s')}/s = x{ratio_sql}); "
        + (
            f"risk checks cost {risk_cost:.1%} of throughput (target <= {TARGET_RISK_COST:.0%}); "
            if risk_cost is not None
            else ""
        )
        + f"POST p50/p99 {post.get('p50_ms')}/{post.get('p99_ms')} ms; "
        f"at {args.rate:g}/s POST->FILLED p50/p99 {pf.get('p50_ms')}/{pf.get('p99_ms')} ms "
        f"(target p99 < {TARGET_P99_FILLED_MS:g}), {filled} filled; "
        f"checks {'ok' if pass_checks else 'FAILED'}; load {load_start[0]:.1f}->{load_end[0]:.1f}, "
        f"other work {max(worst, 0.0):.0%} of busy CPU{' (BUSY MACHINE: rerun)' if worst > 0.15 else ''}"
    )
    return figures, passed, summary


def _utc(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


def _merge_cpu(deltas: list[dict]) -> dict:
    """Sum per-block CPU accounting into one per-phase figure."""
    if not deltas:
        return {}
    units = sum(d["units"] for d in deltas)
    cpu: Counter = Counter()
    for d in deltas:
        cpu.update(d["cpu_s"])
    unit_key = next(k for k in deltas[0] if k.startswith("cpu_ms_per_"))
    busy = sum(d["machine_cpu_s_busy"] for d in deltas)
    wall = sum(d["wall_s"] for d in deltas)
    return {
        "wall_s": round(wall, 3),
        unit_key: {k: round(v * 1000 / max(units, 1), 3) for k, v in sorted(cpu.items())},
        "cpu_s": {k: round(v, 3) for k, v in sorted(cpu.items())},
        "machine_busy_share_by_block": [d["machine_busy_share"] for d in deltas],
        "machine_cpu_s_busy": round(busy, 2),
        "machine_cpu_s_not_ours": round(sum(d["machine_cpu_s_not_ours"] for d in deltas), 2),
        "units": units,
    }


if __name__ == "__main__":
    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C: processes stopped, keys and scratch database removed.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    run(NAME, main)
