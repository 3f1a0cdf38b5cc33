"""The live stream, served by the Procfile's stream process (uvicorn) on the test database, and a client."""

import json
import time

import pytest
from rest_framework_simplejwt.tokens import RefreshToken
from websockets.sync.client import connect

from tests.processes import PROBLEM_MARKS, StreamServer

# Quick to notice in tests: the platform's defaults are seconds apart.
FAST = {"STREAM_POLL_SECONDS": "0.1", "STREAM_RECHECK_SECONDS": "1"}


@pytest.fixture
def stream_server():
    """A stream server for one test (it must see what the test commits: transactional tests only)."""
    servers = []

    def start(port: int | None = None, **env) -> StreamServer:
        server = StreamServer(port=port, env={**FAST, **env})
        log = server.log_path
        server.log_start = log.stat().st_size if log.exists() else 0  # the session's servers share one log
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
        with server.log_path.open(errors="replace") as log:
            log.seek(server.log_start)
            problems = [line for line in log if any(mark in line for mark in PROBLEM_MARKS)]
        if not getattr(server, "allow_problems", False):
            assert not problems, "the stream server logged problems:\n" + "".join(problems[-8:])


def access_token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


class Client:
    """A test's WebSocket client: JSON in and out, with waits that say what they waited for."""

    def __init__(self, url: str, **kwargs) -> None:
        self.ws = connect(url, open_timeout=10, max_size=None, **kwargs).__enter__()

    def send(self, message: dict | str) -> None:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def recv(self, timeout: float = 10.0) -> dict:
        return json.loads(self.ws.recv(timeout=timeout))

    def until(self, check, timeout: float = 10.0, what: str = "a message") -> dict:
        """The first message `check` accepts (heartbeats and others skipped)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                message = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            if check(message):
                return message
            seen.append(message)
        raise AssertionError(f"no {what} within {timeout} s; got {seen[-5:]}")

    def gather(self, seconds: float) -> list[dict]:
        """Everything that arrives within `seconds`."""
        out, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            try:
                out.append(self.recv(timeout=left))
            except TimeoutError:
                return out

    def auth(self, token: str) -> dict:
        self.send({"op": "auth", "token": token})
        return self.until(lambda m: m.get("op") in ("authenticated", "error"), what="an answer to auth")

    def subscribe(self, *topics: str, **extra) -> dict:
        self.send({"op": "subscribe", "topics": list(topics), **extra})
        return self.until(lambda m: m.get("op") in ("subscribed", "error"), what="an answer to subscribe")

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def ws_client():
    clients = []

    def open_client(server: StreamServer, **kwargs) -> Client:
        client = Client(server.url, **kwargs)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()
