"""Run the platform's real processes (Celery worker, feed, ...) beside the tests.

They get the environment of the test run with DATABASE_URL pointing at the
test database, so what a test commits they see, and what they write the test
reads back.
"""

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = Path(settings.VAR_DIR) / "logs"
SHARED: dict[str, "ManagedProcess"] = {}  # processes shared by a whole test session
# Like the tests themselves (conftest.py), the processes they start get rate limits no test reaches by going
# fast; a test about the limits passes its own in `env`.
WIDE_RATE_LIMITS_ENV = {
    "API_RATE_LIMIT": "100000/s",
    "ORDER_RATE_LIMIT": "100000/s",
    "TOKEN_REFRESH_RATE_LIMIT": "100000/s",
    "LOGIN_RATE_LIMIT": "100000/m",
}


def test_database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


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


def ensure_clean_broker() -> None:
    """Drop messages a previous, interrupted test run may have left in the embedded broker."""
    if not settings.REDIS_URL:  # the embedded, folder-based broker
        for key in ("data_folder_in", "processed_folder"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key])
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)


class ManagedProcess:
    name = "process"

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args = list(args)
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = LOG_DIR / f"{self.name}-{os.getpid()}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        env = {**WIDE_RATE_LIMITS_ENV, **os.environ, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}
        env.update(self.extra_env)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.wait_ready()

    def wait_ready(self) -> None:
        pass

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "_log", None):
            self._log.close()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class CeleryWorker(ManagedProcess):
    name = "celery-worker"

    def __init__(self, queues: str = "default,broker", concurrency: int = 2, **kwargs) -> None:
        self.queues = queues
        self.concurrency = concurrency
        super().__init__(**kwargs)

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "trading", "worker",
            "-Q", self.queues, "-c", str(self.concurrency), "-l", "info",
            "--without-gossip", "--without-mingle", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h",
        ]  # fmt: skip

    def wait_ready(self) -> None:
        from monitoring.tasks import ping

        if "TRADING_FAULTS" in self.extra_env:
            # A worker armed to crash is checked for being alive, not with a round trip
            # (the ping could be taken by it and the crash fire on the wrong message).
            time.sleep(2)
            if not self.alive():
                raise RuntimeError(f"celery worker exited early:\n{self.log_tail()}")
            return
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"celery worker exited early:\n{self.log_tail()}")
            try:
                ping.apply_async(args=["ready"], queue="default").get(timeout=5)
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"celery worker did not answer within 60 s:\n{self.log_tail()}")


class FeedProcess(ManagedProcess):
    """`manage.py run_feed` on the test database; ready once its first heartbeat is written."""

    name = "feed"

    def __init__(self, *feed_args: str, **kwargs) -> None:
        self.feed_args = list(feed_args) or ["--source", "simulated", "--rate", "8"]
        super().__init__(**kwargs)

    def command(self) -> list[str]:
        return [sys.executable, "manage.py", "run_feed", *self.feed_args]

    def wait_ready(self) -> None:
        from marketdata.models import FeedStatus

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"feed exited early:\n{self.log_tail()}")
            if FeedStatus.objects.filter(pid=self.proc.pid).exists():
                return
            time.sleep(0.2)
        raise RuntimeError(f"feed wrote no heartbeat within 30 s:\n{self.log_tail()}")


class WebServer(ManagedProcess):
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

    def wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"web server exited early:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"web server did not answer within 30 s:\n{self.log_tail()}")
