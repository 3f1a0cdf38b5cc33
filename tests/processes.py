"""Run the platform's real processes (web, Celery worker, feed, ...) beside the tests and benchmarks.

The one process harness of the repository: start a command in its own session
(logging to a file), wait until it is ready, stop it by its process group; a
free loopback port; a keep-alive HTTP client. The first half imports nothing
of Django, so benchmarks/ uses it before settings exist.

The test processes (CeleryWorker, FeedProcess, WebServer) get the environment
of the test run with DATABASE_URL pointing at the test database, so what a
test commits they see, and what they write the test reads back.
"""

import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SHARED: dict[str, "ManagedProcess"] = {}  # processes shared by a whole test session
PROBLEM_MARKS = ("WARNING", "ERROR", "CRITICAL", "Traceback", "Exception", "Error:")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procfile_command(name: str) -> list[str]:
    """The command `make run` starts for one Procfile entry, with $PORT left for the environment."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return shlex.split(line.split(":", 1)[1])
    raise LookupError(f"no {name!r} entry in the Procfile")


def wait_for(what: str, check: Callable[[], bool], timeout: float, processes: Iterable["ManagedProcess"] = ()) -> None:
    """Poll `check` until it returns true; fail early when one of `processes` died (an exception = not yet)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        for process in processes:
            process.check_alive()
        try:
            if check():
                return
        except Exception as exc:
            last_error = exc
        time.sleep(0.2)
    tails = "\n".join(p.log_tail() for p in processes)
    raise RuntimeError(f"{what} not ready within {timeout:.0f} s (last error: {last_error!r})\n{tails}")


class ManagedProcess:
    """One process (tree) in its own session, logging to a file; stopped by its pid, then its group.

    Subclasses give `command()` and `ready()`; a plain instance takes both as arguments.
    """

    name = "process"
    ready_timeout = 30.0

    def __init__(
        self,
        *,
        name: str | None = None,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        ready: Callable[[], bool] | None = None,
        cpu: int | None = None,
    ) -> None:
        self.name = name or self.name
        self._command = command
        self._ready = ready
        self.extra_env = env or {}
        self.cpu = cpu  # pin the process (tree) to this CPU
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def log_path(self) -> Path:
        if self.log_dir is None:
            from django.conf import settings

            self.log_dir = Path(settings.VAR_DIR) / "logs"
        return self.log_dir / f"{self.name}-{os.getpid()}.log"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def command(self) -> list[str]:
        return self._command

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.extra_env}

    def ready(self) -> bool:
        return self._ready() if self._ready else True

    def start(self) -> "ManagedProcess":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        cpu = self.cpu
        self.proc = subprocess.Popen(
            self.command(),
            cwd=ROOT,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
        )
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        wait_for(self.name, self.ready, self.ready_timeout, [self])

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            code = self.proc.returncode if self.proc else None
            raise RuntimeError(f"{self.name} exited ({code}):\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the main process (gunicorn and Celery stop their children gracefully), then
        SIGKILL whatever is left of the session: also children that outlived their parent."""
        if self.proc is None:
            return
        try:
            if self.alive():
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
            if self._log:
                self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def problem_lines(self, last: int = 8) -> list[str]:
        """The last warnings, errors and tracebacks in the log."""
        lines = self.log_tail(100_000).splitlines()
        return [line[:300] for line in lines if any(m in line for m in PROBLEM_MARKS)][-last:]


class Reply(NamedTuple):
    status: int  # 0: the connection broke
    body: bytes
    sent_at: float  # wall clock (time.time) just before sending
    seconds: float  # from sending the request to reading the whole body


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection to a loopback server; http.client, so nothing stands
    between the timer and the socket. Reconnects on demand (counted in `connects`)."""

    def __init__(self, port: int, timeout: float = 120.0) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = {"Accept": "application/json", "Content-Type": "application/json"}
        self.connects = 0
        self.errors = 0

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Reply:
        if self.conn.sock is None:
            self.connects += 1
        sent, start = time.time(), time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers or self.headers)
            response = self.conn.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as exc:
            self.errors += 1
            self.conn.close()
            return Reply(0, repr(exc).encode(), sent, time.perf_counter() - start)
        return Reply(response.status, data, sent, time.perf_counter() - start)

    def login(self, username: str, password: str) -> None:
        """A JWT for this connection's requests."""
        body = json.dumps({"username": username, "password": password}).encode()
        reply = self.request("POST", "/api/v1/auth/token/", body)
        if reply.status != 200:
            raise RuntimeError(f"login of {username} failed: {reply.status} {reply.body[:300]!r}")
        self.headers["Authorization"] = f"Bearer {json.loads(reply.body)['access']}"

    def get_json(self, path: str) -> tuple[float, dict]:
        """(seconds, parsed body) of a GET that must answer 200."""
        reply = self.request("GET", path)
        if reply.status != 200:
            raise RuntimeError(f"GET {path[:80]} answered {reply.status}: {reply.body[:300]!r}")
        return reply.seconds, json.loads(reply.body)

    def close(self) -> None:
        self.conn.close()


def http_ok(port: int, path: str = "/health/live") -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    finally:
        conn.close()


# --- The test run's processes (Django settings and the test database) ------------------------------


def redis_server(port: int) -> ManagedProcess:
    """A Redis of a test's own on `port` (the shared one must keep serving the other processes)."""

    def answers() -> bool:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
        return False

    command = [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    return ManagedProcess(name="redis", command=[*command, "--appendonly", "no"], ready=answers)


def test_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


# What the Procfile's workers consume (worker: -Q default,broker; research: -Q research); a test's worker takes all.
WORKER_QUEUES = ("default", "broker", "research")


def ensure_clean_broker() -> None:
    """Drop messages an earlier test (or an interrupted run) left queued with no worker to take them."""
    from django.conf import settings

    if not settings.REDIS_URL:  # the embedded, folder-based broker
        for key in ("data_folder_in", "processed_folder"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key])
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        return
    from trading.celery import app

    with app.connection_for_write() as connection:
        for queue in WORKER_QUEUES:
            with suppress(Exception):  # a queue nobody declared yet holds nothing
                connection.default_channel.queue_purge(queue)


# Like the tests themselves (conftest.py), the processes they start get rate limits no test reaches by going
# fast; a test about the limits passes its own in `env`.
WIDE_RATE_LIMITS_ENV = {
    "API_RATE_LIMIT": "100000/s",
    "ORDER_RATE_LIMIT": "100000/s",
    "TOKEN_REFRESH_RATE_LIMIT": "100000/s",
    "LOGIN_RATE_LIMIT": "100000/m",
    "LOGIN_ADDRESS_RATE_LIMIT": "100000/m",
    "LOGIN_FAILURE_RATE_LIMIT": "100000/m",
    "AUTH_FAILURE_RATE_LIMIT": "100000/m",
}


class OnTestDatabase(ManagedProcess):
    def environment(self) -> dict[str, str]:
        return {
            **WIDE_RATE_LIMITS_ENV,
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }


class CeleryWorker(OnTestDatabase):
    name = "celery-worker"
    ready_timeout = 60.0

    def __init__(self, queues: str = ",".join(WORKER_QUEUES), concurrency: int = 2, **kwargs) -> None:
        self.queues = queues
        self.concurrency = concurrency
        super().__init__(**kwargs)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "trading",
            "worker",
            "-Q",
            self.queues,
            "-c",
            str(self.concurrency),
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]

    def ready(self) -> bool:
        from monitoring.tasks import ping

        ping.apply_async(args=["ready"], queue="default").get(timeout=5)
        return True

    def wait_ready(self) -> None:
        if "TRADING_FAULTS" in self.extra_env:
            # A worker armed to crash is checked for being alive, not with a round trip
            # (the ping could be taken by it and the crash fire on the wrong message).
            time.sleep(2)
            self.check_alive()
            return
        super().wait_ready()


class FeedProcess(OnTestDatabase):
    """`manage.py run_feed` on the test database; ready once its first heartbeat is written."""

    name = "feed"

    def __init__(self, *feed_args: str, **kwargs) -> None:
        self.feed_args = list(feed_args) or ["--source", "simulated", "--rate", "8"]
        super().__init__(**kwargs)

    def command(self) -> list[str]:
        return [sys.executable, "manage.py", "run_feed", *self.feed_args]

    def ready(self) -> bool:
        from marketdata.models import FeedStatus

        return FeedStatus.objects.filter(pid=self.proc.pid).exists()


class WebServer(OnTestDatabase):
    """The Procfile's web process (what `make run` serves with), on a free port of the test database."""

    name = "web"

    def __init__(self, **kwargs) -> None:
        self.port = free_port()
        super().__init__(env={"PORT": str(self.port), **kwargs.pop("env", {})}, **kwargs)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [part.replace("$PORT", str(self.port)) for part in procfile_command("web")]
        if command[0] == "python":
            return [sys.executable, *command[1:]]
        return [sys.executable, "-m", *command]  # gunicorn, celery: this interpreter's own

    def ready(self) -> bool:
        return http_ok(self.port)


class StreamServer(OnTestDatabase):
    """The Procfile's stream process (uvicorn serving the live stream) on a free port of the test database."""

    name = "stream"

    def __init__(self, *, port: int | None = None, **kwargs) -> None:
        self.port = port or free_port()
        super().__init__(env={"STREAM_PORT": str(self.port), **kwargs.pop("env", {})}, **kwargs)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v1/stream/"

    def command(self) -> list[str]:
        command = [part.replace("$STREAM_PORT", str(self.port)) for part in procfile_command("stream")]
        return [sys.executable, "-m", *command]

    def ready(self) -> bool:
        return http_ok(self.port)
