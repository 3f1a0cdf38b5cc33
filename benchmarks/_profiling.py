"""Optional tracing and profiling of a benchmark's servers: `--trace DIR` and `--profile DIR`.

Off by default; a benchmark takes the flags with `add_arguments(parser)` and
`Tracing.from_args(args)`, then starts gunicorn with `tracing.wsgi_app` and
Celery with `-A tracing.celery_app` (this module, which wraps the product's
apps) and the environment `tracing.env()`. For every unit of work (a request
or a task), grouped by kind, each process records:

- wall time and the thread's CPU time;
- SQL statements through Django's cursor (count, time, histogram by verb and table);
- explicit COMMITs and their time (autocommit statements are not counted);
- Celery publishes (`orders.services.dispatch.enqueue`) and, where a
  `SELECT ... FOR UPDATE` came first, the time from that lock to the publish
  (lock held until commit, plus the commit);
- with --profile, a cProfile per kind, timed by the thread's CPU clock
  (--profile-clock cpu: where the CPU goes) or the wall clock (wall: where the waiting is).

Files go to DIR as `<label>-<pid>.json` and `<label>-<kind>-<pid>.prof`, at
exit and every few seconds (prefork children run no atexit handlers);
`Tracing.summary()` merges them. Tracing adds a little per statement, cProfile
a lot: traced runs show where time goes, never the verdict.
"""

import atexit
import cProfile
import json
import os
import pstats
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import suppress
from pathlib import Path

TRACE_DIR = Path(os.environ.get("BENCH_TRACE_DIR", "."))
CPROFILE = os.environ.get("BENCH_CPROFILE") == "1"
CPROFILE_CLOCK = os.environ.get("BENCH_CPROFILE_CLOCK", "cpu")
DUMP_EVERY_SECONDS = 3.0
FIELDS = ("queries", "db_s", "commits", "commit_s", "enqueues", "enqueue_s")
_VERB = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN)", re.I)
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.I)


# --- The benchmark's side: flags, commands, summary --------------------------------------------


def add_arguments(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--trace", type=Path, metavar="DIR", help="account statements/commits/publishes per unit")
    group.add_argument("--profile", type=Path, metavar="DIR", help="--trace plus cProfile (timings inflated)")
    parser.add_argument("--profile-clock", choices=["cpu", "wall"], default="cpu", help="--profile's timer")


class Tracing:
    """What a benchmark needs to run its servers traced, or not (`dir` None: the product's apps)."""

    def __init__(self, directory: Path | None, cprofile: bool = False, clock: str = "cpu") -> None:
        self.dir, self.cprofile, self.clock = directory, cprofile, clock
        if directory:
            directory.mkdir(parents=True, exist_ok=True)
            for old in [*directory.glob("*.json"), *directory.glob("*.prof")]:
                old.unlink()

    @classmethod
    def from_args(cls, args) -> "Tracing":
        chosen = args.profile or args.trace
        return cls(chosen.resolve() if chosen else None, bool(args.profile), args.profile_clock)

    @property
    def wsgi_app(self) -> str:
        return "benchmarks._profiling:application" if self.dir else "trading.wsgi"

    @property
    def celery_app(self) -> str:
        return "benchmarks._profiling" if self.dir else "trading"

    @property
    def label(self) -> str:
        return ("PROFILED" if self.cprofile else "TRACED") + " RUN, timings inflated: " if self.dir else ""

    def env(self) -> dict[str, str]:
        if not self.dir:
            return {}
        cprofile = "1" if self.cprofile else "0"
        return {"BENCH_TRACE_DIR": str(self.dir), "BENCH_CPROFILE": cprofile, "BENCH_CPROFILE_CLOCK": self.clock}

    def summary(self) -> dict | None:
        """Per-kind means over every process's file (and the merged profiles printed to stderr)."""
        if not self.dir:
            return None
        kinds = {name: _means(m) for name, m in sorted(_merge(self.dir).items())}
        if self.cprofile:
            _print_profiles(self.dir)
        return {"dir": str(self.dir), "kinds": kinds}


def _merge(directory: Path) -> dict[str, dict]:
    merged: dict[str, dict] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        for kind, k in data["kinds"].items():
            m = merged.setdefault(
                f"{data['label']}:{kind}",
                {
                    "processes": 0,
                    "n": 0,
                    "wall": [],
                    "cpu": [],
                    "lock_hold": [],
                    "sql": Counter(),
                    **dict.fromkeys(FIELDS, 0),
                },
            )
            m["processes"] += 1
            m["n"] += k["n"]
            m["wall"] += k["wall_s"]
            m["cpu"] += k["cpu_s"]
            m["lock_hold"] += k["lock_hold_s"]
            m["sql"].update(k["sql"])
            for field in FIELDS:
                m[field] += k[field]
    return merged


def _means(m: dict) -> dict:
    from benchmarks._common import percentile

    n = m["n"]
    hold = m["lock_hold"]
    return {
        "units": n,
        "processes": m["processes"],
        "wall_ms_mean": round(sum(m["wall"]) / n * 1000, 3),
        "wall_ms_p50": round(percentile(m["wall"], 50) * 1000, 3),
        "wall_ms_p99": round(percentile(m["wall"], 99) * 1000, 3),
        "thread_cpu_ms_mean": round(sum(m["cpu"]) / n * 1000, 3),
        "sql_statements_per_unit": round(m["queries"] / n, 2),
        "sql_ms_per_unit": round(m["db_s"] / n * 1000, 3),
        "commits_per_unit": round(m["commits"] / n, 2),
        "commit_ms_per_unit": round(m["commit_s"] / n * 1000, 3),
        "celery_publishes_per_unit": round(m["enqueues"] / n, 2),
        "celery_publish_ms_per_unit": round(m["enqueue_s"] / max(m["enqueues"], 1) * 1000, 3),
        "funds_lock_to_publish_ms_p50_p99": [round(percentile(hold, p) * 1000, 3) for p in (50, 99)] if hold else None,
        "sql_per_unit": {key: round(c / n, 2) for key, c in m["sql"].most_common()},
    }


def _print_profiles(directory: Path) -> None:
    groups: dict[str, list[Path]] = defaultdict(list)
    for path in directory.glob("*.prof"):
        if not path.name.endswith(".merged.prof"):
            groups[path.stem.rsplit("-", 1)[0]].append(path)  # <label>-<kind>
    for group, paths in sorted(groups.items()):
        stats = pstats.Stats(*[str(p) for p in paths], stream=sys.stderr)
        stats.dump_stats(directory / f"{group}.merged.prof")
        print(f"\n===== {group} ({len(paths)} process(es)) =====", file=sys.stderr)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)


# --- The servers' side: one recorder per process ------------------------------------------------


def sql_key(sql: str) -> str:
    verb = _VERB.match(sql)
    name = verb.group(1).upper() if verb else (sql.split(None, 1) or ["?"])[0].upper()
    if name.endswith("SAVEPOINT") or name == "BEGIN":
        return name
    table = _TABLE.search(sql)
    suffix = " FOR UPDATE" if name == "SELECT" and "FOR UPDATE" in sql.upper() else ""
    return f"{name} {table.group(1) if table else '?'}{suffix}"


class _Unit:
    """The unit of work running on this thread: its kind's counters, and when it took a row lock."""

    def __init__(self, kind: dict) -> None:
        self.kind = kind
        self.lock_t0: float | None = None


class Recorder:
    def __init__(self, label: str, *, profiles_on_periodic_dump: bool = False) -> None:
        self.label = label
        # Only where one thread does all the work (prefork children): a profile must not be
        # snapshotted while another thread has it enabled. Threaded servers write profiles at exit.
        self.profiles_on_periodic_dump = profiles_on_periodic_dump
        self.kinds: dict[str, dict] = defaultdict(
            lambda: {"n": 0, "wall_s": [], "cpu_s": [], "lock_hold_s": [], "sql": Counter(), **dict.fromkeys(FIELDS, 0)}
        )
        self.profiles: dict[tuple[str, int], cProfile.Profile] = {}
        self.local = threading.local()
        self.lock = threading.Lock()
        self.last_dump = time.monotonic()
        self._patched = False

    def _unit(self) -> _Unit | None:
        return getattr(self.local, "unit", None)

    def patch(self) -> None:
        """Count commits and Celery publishes (idempotent; after Django is set up)."""
        if self._patched:
            return
        self._patched = True
        from django.db.backends.base.base import BaseDatabaseWrapper

        from orders.services import dispatch

        original_commit, original_enqueue, unit_of = BaseDatabaseWrapper.commit, dispatch.enqueue, self._unit

        def commit(connection):
            start = time.perf_counter()
            try:
                return original_commit(connection)
            finally:
                if (unit := unit_of()) is not None:
                    unit.kind["commits"] += 1
                    unit.kind["commit_s"] += time.perf_counter() - start

        def enqueue(task_name, order_id):
            start, unit = time.perf_counter(), unit_of()
            if unit is not None and unit.lock_t0 is not None:
                unit.kind["lock_hold_s"].append(start - unit.lock_t0)
                unit.lock_t0 = None
            try:
                return original_enqueue(task_name, order_id)
            finally:
                if unit is not None:
                    unit.kind["enqueues"] += 1
                    unit.kind["enqueue_s"] += time.perf_counter() - start

        BaseDatabaseWrapper.commit = commit
        dispatch.enqueue = enqueue  # enqueue_on_commit looks it up when the transaction commits

    def _execute(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if (unit := self._unit()) is not None:
                key = sql_key(sql)
                unit.kind["queries"] += 1
                unit.kind["db_s"] += time.perf_counter() - start
                unit.kind["sql"][key] += 1
                if unit.lock_t0 is None and key.endswith("FOR UPDATE"):
                    unit.lock_t0 = start

    def begin(self, kind_name: str):
        from django.db import connection

        self.local.unit = _Unit(self.kinds[kind_name])
        connection.execute_wrappers.append(self._execute)
        profile = None
        if CPROFILE:
            with self.lock:
                timer = time.thread_time if CPROFILE_CLOCK == "cpu" else time.perf_counter
                profile = self.profiles.setdefault((kind_name, threading.get_ident()), cProfile.Profile(timer))
            profile.enable()
        return kind_name, profile, time.perf_counter(), time.thread_time()

    def end(self, token) -> None:
        from django.db import connection

        kind_name, profile, start, cpu_start = token
        if profile is not None:
            profile.disable()
        kind = self.kinds[kind_name]
        kind["n"] += 1
        kind["wall_s"].append(time.perf_counter() - start)
        kind["cpu_s"].append(time.thread_time() - cpu_start)
        with suppress(ValueError):
            connection.execute_wrappers.remove(self._execute)
        self.local.unit = None
        if time.monotonic() - self.last_dump > DUMP_EVERY_SECONDS:
            self.dump(profiles=self.profiles_on_periodic_dump)

    def dump(self, profiles: bool = True) -> None:
        with self.lock:
            self.last_dump = time.monotonic()
            TRACE_DIR.mkdir(parents=True, exist_ok=True)
            pid = os.getpid()
            kinds = {name: {**k, "sql": dict(k["sql"])} for name, k in list(self.kinds.items()) if k["n"]}
            path = TRACE_DIR / f"{self.label}-{pid}.json"
            path.with_suffix(".tmp").write_text(json.dumps({"label": self.label, "pid": pid, "kinds": kinds}))
            path.with_suffix(".tmp").replace(path)
            for name in {name for name, _thread in self.profiles} if profiles else ():
                stats = None
                for (kind_name, _thread), profile in self.profiles.items():
                    with suppress(Exception):
                        if kind_name == name:
                            profile.create_stats()
                            stats = pstats.Stats(profile) if stats is None else stats.add(profile)
                if stats is not None:
                    stats.dump_stats(TRACE_DIR / f"{self.label}-{re.sub(r'[^A-Za-z0-9_.]', '_', name)}-{pid}.prof")


# --- Entry points: `gunicorn benchmarks._profiling:application`, `celery -A benchmarks._profiling` -----

_seen_queries: set[str] = set()


def _request_kind(environ) -> str:
    method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
    if path == "/api/v1/quotes/":  # the first read of a symbol set is cold, a repeated one warm
        query = environ.get("QUERY_STRING", "")
        cold = query not in _seen_queries
        _seen_queries.add(query)
        return "quotes_cold" if cold else "quotes_warm"
    if path.startswith("/bench/") or path == "/api/v1/orders/":
        return f"{method} {path}"
    return "other"


def _wsgi_application():
    from trading.wsgi import application as product

    recorder = Recorder("web")
    recorder.patch()
    atexit.register(recorder.dump)

    def application(environ, start_response):
        token = recorder.begin(_request_kind(environ))
        try:
            return list(product(environ, start_response))  # the body is rendered inside the measured region
        finally:
            recorder.end(token)

    return application


def _celery_app():
    from celery.signals import task_postrun, task_prerun, worker_process_init, worker_process_shutdown

    from trading.celery import app

    recorder = Recorder("worker", profiles_on_periodic_dump=True)
    tokens: dict[str, object] = {}
    worker_process_init.connect(lambda **_: recorder.patch(), weak=False)
    worker_process_shutdown.connect(lambda **_: recorder.dump(), weak=False)

    def before(task_id=None, task=None, **_):
        recorder.patch()
        tokens[task_id] = recorder.begin(task.name if task is not None else "?")

    def after(task_id=None, **_):
        if (token := tokens.pop(task_id, None)) is not None:
            recorder.end(token)

    task_prerun.connect(before, weak=False)
    task_postrun.connect(after, weak=False)
    return app


def __getattr__(name: str):
    """Built on first use, so that the web process never imports Celery's hooks, nor the worker the WSGI app."""
    if name == "application":
        globals()[name] = _wsgi_application()
    elif name == "app":
        globals()[name] = _celery_app()
    else:
        raise AttributeError(name)
    return globals()[name]
