"""Per-request / per-task accounting for `benchmarks/orders.py --trace DIR` (and `--profile DIR`).

Used by benchmarks/_traced_wsgi.py (the web process) and
benchmarks/_traced_celery.py (the worker). For every unit of work (a request
or a task), grouped by kind, it records:

- wall time in the process;
- SQL statements through Django's cursor (count, time, and a histogram by
  verb and table), via an execute wrapper;
- explicit COMMITs (atomic blocks) and their time (autocommit statements
  commit implicitly and are not counted here);
- time in `orders.services._enqueue` (the Celery publish after commit) and,
  where a `SELECT ... FOR UPDATE` came first, the time from that lock to the
  start of the publish (= lock held until commit, plus the commit);
- the thread's CPU time (time.thread_time) beside the wall time;
- with BENCH_CPROFILE=1, a cProfile per kind and thread (merged on dump),
  timed by the thread's CPU clock (BENCH_CPROFILE_CLOCK=cpu, the default:
  where the CPU goes, without the time spent waiting for a core, the
  database or a lock) or by the wall clock (=wall: where the waiting is).

Everything is written to BENCH_TRACE_DIR as `<label>-<pid>.json` (and
`<label>-<kind>-<pid>.prof`): at exit, and every few seconds while work
happens (prefork children do not run atexit handlers). Tracing adds a little
time per statement; cProfile adds a lot: use traced runs to see where time
goes, never for the verdict.
"""

import atexit
import cProfile
import json
import os
import re
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager, suppress
from pathlib import Path

TRACE_DIR = Path(os.environ.get("BENCH_TRACE_DIR", "."))
CPROFILE = os.environ.get("BENCH_CPROFILE") == "1"
CPROFILE_CLOCK = os.environ.get("BENCH_CPROFILE_CLOCK", "cpu")
DUMP_EVERY_SECONDS = 3.0

_VERB = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN)", re.I)
_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_]+)"?', re.I)


def sql_key(sql: str) -> str:
    verb = _VERB.match(sql)
    name = verb.group(1).upper() if verb else sql.split(None, 1)[0].upper() if sql.strip() else "?"
    if name.endswith("SAVEPOINT") or name == "BEGIN":
        return name
    table = _TABLE.search(sql)
    suffix = " FOR UPDATE" if name == "SELECT" and "FOR UPDATE" in sql.upper() else ""
    return f"{name} {table.group(1) if table else '?'}{suffix}"


class _Kind:
    __slots__ = (
        "commit_s", "commits", "cpu", "db_s", "enqueue_s", "enqueues", "lock_hold", "n", "queries", "sql", "wall",
    )  # fmt: skip

    def __init__(self) -> None:
        self.n = 0
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.queries = 0
        self.db_s = 0.0
        self.commits = 0
        self.commit_s = 0.0
        self.enqueues = 0
        self.enqueue_s = 0.0
        self.lock_hold: list[float] = []
        self.sql: Counter = Counter()


class _Current:
    __slots__ = ("kind", "lock_t0")

    def __init__(self, kind: _Kind) -> None:
        self.kind = kind
        self.lock_t0: float | None = None


class Recorder:
    def __init__(self, label: str, *, profiles_on_periodic_dump: bool = False) -> None:
        self.label = label
        # Only safe where one thread does all the work (prefork children): a profile must not be
        # snapshotted while another thread has it enabled. Threaded servers write profiles at exit.
        self.profiles_on_periodic_dump = profiles_on_periodic_dump
        self.kinds: dict[str, _Kind] = defaultdict(_Kind)
        self.profiles: dict[tuple[str, int], cProfile.Profile] = {}
        self.local = threading.local()
        self.lock = threading.Lock()
        self.last_dump = time.monotonic()
        self.pid = os.getpid()
        self._patched = False

    # --- hooks into Django and the product ------------------------------------------------

    def patch(self) -> None:
        """Count commits and Celery publishes (idempotent; call after Django is set up)."""
        if self._patched:
            return
        self._patched = True
        from django.db.backends.base.base import BaseDatabaseWrapper

        import orders.services as order_services

        original_commit = BaseDatabaseWrapper.commit
        original_enqueue = order_services._enqueue
        recorder = self

        def commit(self):
            start = time.perf_counter()
            try:
                return original_commit(self)
            finally:
                current = getattr(recorder.local, "current", None)
                if current is not None:
                    current.kind.commits += 1
                    current.kind.commit_s += time.perf_counter() - start

        def enqueue(task_name, order_id):
            start = time.perf_counter()
            current = getattr(recorder.local, "current", None)
            if current is not None and current.lock_t0 is not None:
                current.kind.lock_hold.append(start - current.lock_t0)
                current.lock_t0 = None
            try:
                return original_enqueue(task_name, order_id)
            finally:
                if current is not None:
                    current.kind.enqueues += 1
                    current.kind.enqueue_s += time.perf_counter() - start

        BaseDatabaseWrapper.commit = commit
        order_services._enqueue = enqueue

    def _execute(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            current = getattr(self.local, "current", None)
            if current is not None:
                kind = current.kind
                kind.queries += 1
                kind.db_s += time.perf_counter() - start
                key = sql_key(sql)
                kind.sql[key] += 1
                if current.lock_t0 is None and key.endswith("FOR UPDATE"):
                    current.lock_t0 = start

    # --- units of work --------------------------------------------------------------------------

    def begin(self, kind_name: str):
        from django.db import connection

        kind = self.kinds[kind_name]
        current = _Current(kind)
        self.local.current = current
        connection.execute_wrappers.append(self._execute)
        profile = None
        if CPROFILE:
            key = (kind_name, threading.get_ident())
            with self.lock:
                if key not in self.profiles:
                    timer = time.thread_time if CPROFILE_CLOCK == "cpu" else time.perf_counter
                    self.profiles[key] = cProfile.Profile(timer)
                profile = self.profiles[key]
            profile.enable()
        return (kind, profile, time.perf_counter(), time.thread_time())

    def end(self, token) -> None:
        from django.db import connection

        kind, profile, start, cpu_start = token
        if profile is not None:
            profile.disable()
        kind.n += 1
        kind.wall.append(time.perf_counter() - start)
        kind.cpu.append(time.thread_time() - cpu_start)
        with suppress(ValueError):
            connection.execute_wrappers.remove(self._execute)
        self.local.current = None
        if time.monotonic() - self.last_dump > DUMP_EVERY_SECONDS:
            self.dump(profiles=self.profiles_on_periodic_dump)

    @contextmanager
    def unit(self, kind_name: str):
        token = self.begin(kind_name)
        try:
            yield
        finally:
            self.end(token)

    # --- output ---------------------------------------------------------------------------------

    def dump(self, profiles: bool = True) -> None:
        with self.lock:
            self.last_dump = time.monotonic()
            TRACE_DIR.mkdir(parents=True, exist_ok=True)
            pid = os.getpid()
            summary = {}
            for name, k in list(self.kinds.items()):
                if not k.n:
                    continue
                summary[name] = {
                    "n": k.n,
                    "wall_s": sorted(k.wall),
                    "cpu_s": sorted(k.cpu),
                    "queries": k.queries,
                    "db_s": k.db_s,
                    "commits": k.commits,
                    "commit_s": k.commit_s,
                    "enqueues": k.enqueues,
                    "enqueue_s": k.enqueue_s,
                    "lock_hold_s": sorted(k.lock_hold),
                    "sql": dict(k.sql),
                }
            path = TRACE_DIR / f"{self.label}-{pid}.json"
            tmp = path.with_suffix(".tmp")
            meta = {"label": self.label, "pid": pid, "cprofile": CPROFILE and CPROFILE_CLOCK, "kinds": summary}
            tmp.write_text(json.dumps(meta))
            tmp.replace(path)
            if not profiles:
                return
            by_kind: dict[str, list[cProfile.Profile]] = defaultdict(list)
            for (name, _thread), profile in self.profiles.items():
                by_kind[name].append(profile)
            for name, profiles in by_kind.items():
                import pstats

                stats = None
                for profile in profiles:
                    try:
                        profile.create_stats()
                    except Exception:
                        continue
                    if not getattr(profile, "stats", None):
                        continue
                    if stats is None:
                        stats = pstats.Stats(profile)
                    else:
                        stats.add(profile)
                if stats is not None:
                    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                    stats.dump_stats(TRACE_DIR / f"{self.label}-{safe}-{pid}.prof")


def install_atexit(recorder: Recorder) -> None:
    atexit.register(recorder.dump)
