"""`make run`, on the embedded default (SQLite, no Redis, separate processes), serves a live stream that moves."""

import json
import os
import time

import httpx
from websockets.sync.client import connect

from tests.processes import ManagedProcess, free_port, http_ok

SERVICES = ("DATABASE_URL", "REDIS_URL")


class MakeRun(ManagedProcess):
    name = "make-run"
    ready_timeout = 240.0  # migrations and the demo data on a fresh folder

    def environment(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k not in SERVICES}
        return {**inherited, "PYTHONUNBUFFERED": "1", **self.extra_env}


def test_make_run_streams_the_demo_feeds_quotes_to_the_demo_trader(tmp_path):
    port, stream_port = free_port(), free_port()
    env = {"PORT": str(port), "STREAM_PORT": str(stream_port), "TRADING_VAR_DIR": str(tmp_path / "var")}
    platform = MakeRun(command=["make", "run"], env=env, ready=lambda: http_ok(port) and http_ok(stream_port))
    platform.start()
    try:
        login = {"username": "demo", "password": "demo-pass-123"}
        token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token/", json=login, timeout=30).json()["access"]
        with connect(f"ws://127.0.0.1:{stream_port}/ws/v1/stream/", open_timeout=10) as ws:
            ws.send(json.dumps({"op": "auth", "token": token}))
            assert json.loads(ws.recv(timeout=10))["op"] == "authenticated"
            ws.send(json.dumps({"op": "subscribe", "topics": ["quotes:NSE:SBIN-EQ", "orders", "funds"]}))
            stamps, deadline = set(), time.monotonic() + 20
            while len(stamps) < 3 and time.monotonic() < deadline:
                message = json.loads(ws.recv(timeout=20))
                if message.get("topic") == "quotes:NSE:SBIN-EQ":
                    stamps.add(message["data"]["timestamp"])
    finally:
        platform.stop()
    assert len(stamps) >= 3, f"the demo feed's quote moved {len(stamps)} times in 20 s"
