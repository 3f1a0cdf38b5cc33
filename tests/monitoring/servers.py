"""Real servers on loopback for the alert and notification tests: an SMTP sink, and an HTTP receiver
(a webhook endpoint, or a fake Telegram Bot API) that records what it was sent."""

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Mail:
    to: list[str]
    subject: str
    body: str


class SmtpSink:
    """aiosmtpd on 127.0.0.1: every message accepted and kept in `messages`."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = message_from_bytes(envelope.content)
        body = parsed.get_payload(decode=True).decode()
        self.messages.append(Mail(list(envelope.rcpt_tos), str(parsed["Subject"]), body))
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@dataclass
class Received:
    path: str
    headers: object  # http.client.HTTPMessage: case-insensitive get
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Signature", ""), expected)


@dataclass
class HttpReceiver:
    """ThreadingHTTPServer in a thread; answers 500 to the first `fail_next` requests, then 200."""

    fail_next: int = 0
    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    host: str = "127.0.0.1"  # any loopback address
    port: int = 0  # 0: a free one

    def __enter__(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.attempts += 1
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(Received(self.path, self.headers, body))
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.port = self.server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
