"""An unhandled error reaches Sentry's ingestion endpoint (a small HTTP server on loopback standing in
for Sentry), tagged with the request id and without the caller's credentials."""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from monitoring.sentry import scrub_event
from tests.processes import WebServer

SECRET = "Bearer sentry-test-secret-token"


class _Ingest(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _events(received) -> list[dict]:
    """The error events in the envelopes received (an envelope: header line, then item header and payload)."""
    events = []
    for _path, body in received:
        lines = body.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                events.append(json.loads(payload))
    return events


def _wait_for_event(server, timeout=20.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if events := _events(list(server.received)):
            return events
        time.sleep(0.1)
    return []


@pytest.mark.django_db(transaction=True)
def test_an_unhandled_error_in_a_view_reaches_sentry_with_the_request_id_and_no_credentials(ingest):
    dsn = f"http://publickey@127.0.0.1:{ingest.server_address[1]}/1"
    web = WebServer(env={"SENTRY_DSN": dsn, "DJANGO_SETTINGS_MODULE": "tests.monitoring.sentry_settings"})
    web.start()
    try:
        response = httpx.get(
            f"{web.url}/test-only/boom",
            headers={"X-Request-ID": "sentry-req-1", "Authorization": SECRET, "Cookie": "sessionid=cookie-secret"},
        )
        assert response.status_code == 500
        events = _wait_for_event(ingest)
    finally:
        web.stop()  # also flushes whatever the SDK still holds
    events = events or _events(ingest.received)

    assert events, f"no event arrived; web log:\n{web.log_tail()}"
    assert {path for path, _ in ingest.received} == {"/api/1/envelope/"}
    event = events[0]
    assert event["exception"]["values"][-1]["value"] == "an unhandled error, on purpose"
    assert event["tags"]["request_id"] == "sentry-req-1"
    headers = {name.lower() for name in event["request"].get("headers", {})}
    assert "authorization" not in headers and "cookie" not in headers
    raw = b"".join(body for _, body in ingest.received)
    assert b"sentry-test-secret-token" not in raw and b"cookie-secret" not in raw


def test_scrubbing_drops_credential_headers_and_cookies_and_keeps_the_rest():
    event = {
        "request": {
            "headers": {"Authorization": SECRET, "X-Api-Key": "k", "X-PrivateKey": "p", "Accept": "text/html"},
            "cookies": {"sessionid": "s"},
        }
    }

    scrubbed = scrub_event(event)

    assert scrubbed["request"]["headers"] == {"Accept": "text/html"}
    assert "cookies" not in scrubbed["request"]
