"""The platform as the benchmarks run it: backends, the servers' environment, web + worker + feed, the stream.

Every process is a tests.processes.ManagedProcess in its own session, started
here and always stopped (an ExitStack callback), with
DJANGO_SETTINGS_MODULE=benchmarks._bench_settings (the product settings plus
the floor URLs) and the scratch environment Scratch made (DEBUG off, scratch
database, Redis with a per-run cache prefix, scratch var dir).
"""

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks._common import REPO, progress
from tests.processes import ManagedProcess, free_port, http_ok, procfile_command, wait_for

SETTINGS_MODULE = "benchmarks._bench_settings"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
CELERY_KEY_PREFIXES = (b"celery-task-meta-", b"_kombu.binding", b"unacked", b"default", b"broker")


def pick_backends(embedded: bool) -> dict:
    """Point DATABASE_URL/REDIS_URL at PostgreSQL + Redis (defaults above) or, embedded, at nothing."""
    if embedded:
        dropped = {k: bool(os.environ.pop(k, None)) for k in ("DATABASE_URL", "REDIS_URL")}
        return {"mode": "embedded (SQLite file, filesystem Celery broker, local-memory cache)", "ignored_env": dropped}
    chosen = {}
    for key, default in (("DATABASE_URL", DEFAULT_DATABASE_URL), ("REDIS_URL", DEFAULT_REDIS_URL)):
        given = os.environ.get(key)
        os.environ[key] = given or default
        chosen[key] = {"url": _redact(os.environ[key]), "source": "environment" if given else "default"}
    if urlsplit(os.environ["DATABASE_URL"]).scheme not in {"postgres", "postgresql", "pgsql"}:
        raise RuntimeError("DATABASE_URL must point at PostgreSQL (or run with --embedded)")
    return {"mode": "postgresql + redis", **chosen}


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))
    return url


def server_env(settings_module: str = SETTINGS_MODULE, **extra: str) -> dict[str, str]:
    """The servers' environment: this process's (Scratch's) plus the bench settings, quiet logs, long tokens."""
    env = dict(os.environ)
    env.pop("SENTRY_DSN", None)
    # The platform's capacity is measured, not the per-user limits: every client logs in from one address
    # and sends faster than a trader may (ORDER_RATE_LIMIT is 10/s by default); `extra` may set its own.
    env.update(LOGIN_RATE_LIMIT="1000000/m", LOGIN_ADDRESS_RATE_LIMIT="1000000/m")
    env.update(ORDER_RATE_LIMIT="1000000/s", API_RATE_LIMIT="1000000/s")
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        JWT_ACCESS_MINUTES="240",  # one token per client for the whole run
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def gunicorn_command(app: str, port: int, threads: int, graceful: int = 20) -> list[str]:
    """One gunicorn worker process, gthread (the sync worker closes every connection), keep-alive."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "-w",
        "1",
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "-b",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "600",
        "--timeout",
        "300",
        "--graceful-timeout",
        str(graceful),
        "--log-level",
        "warning",
    ]


def web_start(stack: ExitStack, *, app: str, threads: int, env: dict, log_dir: Path, cpu: int | None = None):
    """gunicorn on a free port, ready once /health/live answers; stopped when the stack unwinds."""
    port = free_port()
    command = gunicorn_command(app, port, threads)
    web = ManagedProcess(name="web", command=command, env=env, log_dir=log_dir, ready=lambda: http_ok(port), cpu=cpu)
    web.ready_timeout = 60
    stack.callback(web.stop)
    web.start()
    progress(f"web up (pid {web.pid}) on port {port}")
    return web, port


def stream_start(stack: ExitStack, *, env: dict, log_dir: Path, cpu: int | None = None):
    """The Procfile's stream process (uvicorn serving /ws/v1/stream/) on a free port; stopped when the stack unwinds."""
    port = free_port()
    command = [sys.executable, "-m", *(part.replace("$STREAM_PORT", str(port)) for part in procfile_command("stream"))]
    stream = ManagedProcess(
        name="stream", command=command, env=env, log_dir=log_dir, ready=lambda: http_ok(port), cpu=cpu
    )
    stream.ready_timeout = 60
    stack.callback(stream.stop)
    stream.start()
    progress(f"stream up (pid {stream.pid}) on port {port}")
    return stream, port


def platform_start(
    stack: ExitStack,
    *,
    tracing,
    env: dict,
    log_dir: Path,
    threads: int,
    concurrency: int,
    feed_args: list[str],
    quotes_fresh,
) -> tuple[dict, int]:
    """feed, Celery worker and web (stopped in reverse order); `quotes_fresh()` says the feed is ticking."""
    from monitoring.tasks import ping

    procs: dict[str, ManagedProcess] = {}
    commands = {
        "feed": [sys.executable, "manage.py", "run_feed", *feed_args],
        "worker": [
            sys.executable,
            "-m",
            "celery",
            "-A",
            tracing.celery_app,
            "worker",
            "-Q",
            "default,broker",
            "-c",
            str(concurrency),
            "-n",
            f"bench-orders-{os.getpid()}@%h",
        ],
    }
    for name, command in commands.items():
        procs[name] = ManagedProcess(name=name, command=command, env=env, log_dir=log_dir)
        stack.callback(procs[name].stop)
        procs[name].start()  # ready checked below, with every process watched
    wait_for("feed (heartbeat and fresh quotes)", lambda: quotes_fresh(procs["feed"].pid), 60, procs.values())
    worker_ping = lambda: ping.apply_async(args=["ready"], queue="default").get(timeout=3) is not None  # noqa: E731
    wait_for("Celery worker (ping task)", worker_ping, 90, procs.values())
    procs["web"], port = web_start(stack, app=tracing.wsgi_app, threads=threads, env=env, log_dir=log_dir)
    return procs, port


def commands_of(procs: dict) -> dict[str, str]:
    return {name: " ".join(p.command()[1:]) for name, p in procs.items()}


class RedisKeys:
    """The Celery keys a run adds to its Redis database, deleted at the end (cache keys are Scratch's)."""

    def __init__(self, url: str | None, cache_prefix: str | None) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5) if url else None
        self.prefix = (cache_prefix or "\0").encode()
        self.before = set(self.client.scan_iter(count=2000)) if self.client and self.client.dbsize() < 200_000 else None

    def queue_lengths(self) -> dict | None:
        return {q: self.client.llen(q) for q in ("default", "broker")} if self.client else None

    def cleanup(self) -> dict | None:
        if self.client is None:
            return None
        if self.before is None:
            return {"skipped": "database too large to snapshot"}
        added = set(self.client.scan_iter(count=2000)) - self.before
        ours = [k for k in added if k.startswith(CELERY_KEY_PREFIXES) or b".reply.celery.pidbox" in k]
        for i in range(0, len(ours), 1000):
            self.client.delete(*ours[i : i + 1000])
        others = sorted(k.decode(errors="replace") for k in set(added) - set(ours) if not k.startswith(self.prefix))
        return {"deleted_celery_keys": len(ours), "other_new_keys": len(others), "other_new_keys_sample": others[:10]}
