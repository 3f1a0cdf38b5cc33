"""Shared helpers for the benchmark scripts (files starting with `_` are not run by `make bench`).

Every benchmark runs against its own scratch state, never the developer's:

- a fresh temporary directory becomes TRADING_VAR_DIR (embedded broker, logs);
- the database is a SQLite file in that directory, unless DATABASE_URL points
  at PostgreSQL, in which case a scratch database `<db>_bench_<pid>` is created
  on that server and dropped at the end;
- with REDIS_URL set, the cache key prefix is unique to the run and every key
  under it is deleted at the end;
- DEBUG is off, as in production (with throwaway keys): DEBUG wraps every
  database cursor in Django's query logger. BENCH_DEBUG=1 keeps DEBUG on.

Scripts put the repository root first on sys.path themselves and then use
`Scratch` (a context manager) and `run()`.
"""

import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

REPO = Path(__file__).resolve().parent.parent
# One JSON file per benchmark, committed: docs/performance.md's table is generated from them.
RESULTS_DIR = REPO / "benchmarks" / "results"
_T0 = time.monotonic()


# --- Output ---------------------------------------------------------------------


def progress(message: str) -> None:
    """A progress line on stderr (stdout carries only the JSON and the summary)."""
    print(f"[{time.monotonic() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def run(name: str, main: Callable[[], tuple[dict, bool, str]]) -> None:
    """Run `main() -> (figures, passed, summary)`, print JSON and the summary line, exit 0/1."""
    try:
        figures, passed, summary = main()
    except Exception as exc:  # a broken run is a failed run, with the reason on the summary line
        traceback.print_exc()
        print(json.dumps({"benchmark": name, "error": f"{type(exc).__name__}: {exc}"}, indent=2))
        print(f"{name}: FAIL (error: {type(exc).__name__}: {exc})")
        sys.exit(1)
    print(json.dumps({"benchmark": name, **figures, "pass": passed}, indent=2, default=str))
    print(f"{name}: {'PASS' if passed else 'FAIL'}: {summary}")
    save_result(name, figures, passed, summary)
    sys.exit(0 if passed else 1)


def save_result(name: str, figures: dict, passed: bool, summary: str) -> Path | None:
    """Keep this run as benchmarks/results/<name>.json, the file docs/performance.md is generated from.

    A traced or profiled run (its summary says "timings inflated") or a smoke run ("SMOKE RUN") is never a
    verdict, so it keeps the last real result. The date and a note on the machine go with the figures: they
    differ between runs.
    """
    if "timings inflated" in summary or summary.startswith("SMOKE RUN"):
        return None
    machine = figures.get("machine") or machine_info()
    record = {
        "benchmark": name,
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "pass": passed,
        "summary": summary,
        "machine_note": _machine_note(machine, figures.get("backend")),
        "figures": figures,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    progress(f"result written to {path}")
    return path


def _machine_note(machine: dict, backend: dict | None) -> str:
    """One line a reader of the table needs: CPU, cores, database, commit."""
    git = machine.get("git") or {}
    parts = [f"{machine.get('cpu_model') or 'unknown CPU'}, {machine.get('cpu_count')} cores"]
    if isinstance(backend, dict) and backend.get("database"):
        parts.append(f"{backend['database']}{' + Redis' if backend.get('redis') is True else ''}")
    if git.get("commit"):
        parts.append(f"commit {git['commit']}{' (uncommitted changes)' if git.get('dirty') else ''}")
    return "; ".join(parts)


# --- Numbers --------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: list[float]) -> dict:
    """Milliseconds, three decimals: what the JSON reports for a list of request times."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
    }


def ms_summary(seconds: list[float]) -> dict | None:
    """p50/p90/p99/max in milliseconds (None for no samples): the HTTP benchmarks' latency figure."""
    if not seconds:
        return None
    s = latency_summary(seconds)
    return {"n": s["n"], "p50_ms": s["median_ms"], "p90_ms": s["p90_ms"], "p99_ms": s["p99_ms"], "max_ms": s["max_ms"]}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


# --- Machine --------------------------------------------------------------------


def pin_to_one_core(prefer_last: bool = True) -> int | None:
    """Pin this process to one allowed CPU; returns it, or None where affinity is unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    cpu = allowed[-1] if prefer_last else allowed[0]
    os.sched_setaffinity(0, {cpu})
    return cpu


def machine_info() -> dict:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "git": _git_state(),
    }


def _git_state() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise subprocess.SubprocessError(done.stderr.strip())
        return done.stdout.strip()

    try:
        return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "note": f"{REPO} is not a git checkout"}


# --- Scratch database, var dir and cache prefix ----------------------------------------


def production_like_env() -> dict[str, str]:
    """DEBUG off with throwaway keys (settings refuse DEBUG=0 without them); plain HTTP on loopback."""
    from cryptography.fernet import Fernet

    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "AUDIT_CHAIN_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
    }


def _is_postgres(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in {"postgres", "postgresql", "pgsql", "postgis"}


class Scratch:
    """Scratch TRADING_VAR_DIR + database (+ cache prefix), Django set up and migrated.

    Use as `with Scratch("name") as scratch:`. Everything it created is removed
    on exit, also after an exception. `django_setup=False` only prepares the
    environment, for a benchmark that needs no database at all: no scratch
    PostgreSQL database is created then, and DATABASE_URL still points at a
    scratch SQLite path, so nothing can reach the developer's database.
    """

    def __init__(self, name: str, *, django_setup: bool = True) -> None:
        self.name = name
        self.django_setup = django_setup
        self.tmp: Path | None = None
        self.pg_admin_url: str | None = None  # the server's URL as given (used to create/drop)
        self.pg_database: str | None = None  # the scratch database's name
        self.database_url = ""
        self.redis_url = os.environ.get("REDIS_URL") or None
        self.cache_prefix: str | None = None

    # The environment comes first: settings read it once, at django.setup().
    def __enter__(self) -> "Scratch":
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        os.environ["TRADING_VAR_DIR"] = str(self.tmp / "var")
        os.environ["DJANGO_SETTINGS_MODULE"] = "trading.settings"
        if os.environ.get("BENCH_DEBUG") != "1":
            os.environ.update(production_like_env())
        given = os.environ.get("DATABASE_URL")
        try:
            if _is_postgres(given) and self.django_setup:
                self.pg_admin_url = given
                self.database_url = self._create_pg_database(given)
            else:
                # Anything else (unset, or a SQLite file that may be the developer's) becomes a
                # SQLite file of our own.
                self.database_url = f"sqlite:///{self.tmp / 'bench.sqlite3'}"
            os.environ["DATABASE_URL"] = self.database_url
            if self.redis_url:
                self.cache_prefix = f"bench-{self.name}-{os.getpid()}-{secrets.token_hex(3)}"
                os.environ["CACHE_KEY_PREFIX"] = self.cache_prefix
            if self.django_setup:
                self._setup_django()
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def _create_pg_database(self, url: str) -> str:
        import psycopg
        from psycopg import sql

        parts = urlsplit(url)
        base = unquote(parts.path.lstrip("/")) or "postgres"
        self.pg_database = f"{base}_bench_{os.getpid()}"
        progress(f"creating scratch PostgreSQL database {self.pg_database}")
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            # Same name means same pid: a leftover of a crashed run of ours.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.pg_database)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.pg_database)))
        return parts._replace(path="/" + self.pg_database).geturl()

    def _setup_django(self) -> None:
        import django
        from django.conf import settings
        from django.core.management import call_command

        django.setup()
        name = str(settings.DATABASES["default"]["NAME"])
        # Belt and braces: refuse to run anywhere but the scratch database.
        if self.pg_database is None and not name.startswith(str(self.tmp)):
            raise RuntimeError(f"refusing to run: database {name} is not the scratch file")
        if self.pg_database is not None and name != self.pg_database:
            raise RuntimeError(f"refusing to run: database {name} is not {self.pg_database}")
        progress(f"migrating scratch database ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})")
        call_command("migrate", verbosity=0, interactive=False)

    def backend_info(self) -> dict:
        """Which database and cache this run used."""
        info: dict = {"var_dir_filesystem": _filesystem_type(self.tmp)}
        if not self.django_setup:
            return {"database": "none (in-memory benchmark)", "redis": "not used", **info}
        info = {
            "database": "postgresql" if self.pg_database else "sqlite",
            "database_name": self.pg_database or str(self.tmp / "bench.sqlite3"),
            "redis": bool(self.redis_url),
            **info,
        }
        from django.conf import settings
        from django.db import connection

        connection.ensure_connection()
        if connection.vendor == "postgresql":
            info["database_version"] = connection.cursor().connection.info.parameter_status("server_version")
        elif connection.vendor == "sqlite":
            import sqlite3

            info["database_version"] = sqlite3.sqlite_version
        info["cache_backend"] = settings.CACHES["default"]["BACKEND"]
        info["debug"] = settings.DEBUG
        if self.cache_prefix:
            info["cache_key_prefix"] = self.cache_prefix
        return info

    def __exit__(self, *exc) -> None:
        if self.django_setup and "django" in sys.modules:
            self._django_cleanup()
        if self.pg_database:
            self._drop_pg_database()
        if self.tmp and os.environ.get("BENCH_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _django_cleanup(self) -> None:
        try:
            from django.core.cache import cache
            from django.db import connections

            if self.cache_prefix and hasattr(cache, "delete_pattern"):
                cache.delete_pattern("*")  # django-redis: only keys under our prefix
            connections.close_all()
        except Exception as exc:  # cleanup must not hide the real error
            progress(f"cleanup warning: {exc}")

    def _drop_pg_database(self) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(self.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.pg_database))
                )
            progress(f"dropped scratch database {self.pg_database}")
        except Exception as exc:
            progress(f"could not drop scratch database {self.pg_database}: {exc}")


def _filesystem_type(path: Path | None) -> str | None:
    """The mount's filesystem type (tmpfs makes SQLite commits unrealistically cheap)."""
    if path is None:
        return None
    try:
        best = ("", None)
        for line in Path("/proc/mounts").read_text().splitlines():
            fields = line.split()
            mount, fstype = fields[1], fields[2]
            if str(path).startswith(mount) and len(mount) > len(best[0]):
                best = (mount, fstype)
        return best[1]
    except OSError:
        return None
