"""The stream's messages (JSON text frames), its stable error codes and its close codes.

docs/api.md#the-live-stream describes them for clients; these names are a contract: a client written
against the docs must keep working.
"""

import json
from dataclasses import dataclass

MAX_FRAME_BYTES = 64 * 1024
# The subprotocol a client may ask for (Sec-WebSocket-Protocol) to get its messages in batches: each frame
# is then a JSON array of the messages above, everything that was waiting when the server wrote.
BATCHED = "trading.v1.batch"
MAX_TOPICS_PER_MESSAGE = 500

# Error codes of {"op": "error", "code": ...}.
INVALID_JSON = "invalid_json"
INVALID_MESSAGE = "invalid_message"
UNKNOWN_OP = "unknown_op"
FRAME_TOO_LARGE = "frame_too_large"
AUTH_REQUIRED = "auth_required"
AUTH_FAILED = "auth_failed"
ALREADY_AUTHENTICATED = "already_authenticated"
UNKNOWN_TOPIC = "unknown_topic"
TOPIC_NOT_ALLOWED = "topic_not_allowed"
TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Close:
    """A close with its WebSocket code (4000-4999: the application's) and the reason, a stable word."""

    code: int
    reason: str


AUTH_TIMEOUT = Close(4401, "auth_timeout")
AUTH_INVALID = Close(4401, "auth_failed")
TOKEN_EXPIRED = Close(4401, "token_expired")
CREDENTIAL_REVOKED = Close(4401, "credential_revoked")
USER_INACTIVE = Close(4403, "user_inactive")
USER_LOCKED = Close(4403, "user_locked")
TOO_MANY_CONNECTIONS = Close(4409, "too_many_connections")
TOO_MANY_ERRORS = Close(4429, "too_many_errors")
HEARTBEAT_TIMEOUT = Close(4408, "heartbeat_timeout")
SERVER_SHUTDOWN = Close(1012, "server_restart")


class BadMessage(Exception):
    """A client frame the stream cannot act on: answered with an error message naming `code`."""

    def __init__(self, code: str, message: str, topic: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.topic = code, message, topic


def error(code: str, message: str, topic: str | None = None) -> str:
    frame = {"op": "error", "code": code, "message": message}
    if topic is not None:
        frame["topic"] = topic
    return encode(frame)


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def event(topic: str, data: dict, seq: int | None = None) -> str:
    frame = {"topic": topic, "data": data}
    if seq is not None:
        frame["seq"] = seq
    return encode(frame)


def parse(text: str | None, binary: bytes | None) -> dict:
    """One client frame as a message with a known `op`; raises BadMessage."""
    if text is None:
        raise BadMessage(INVALID_MESSAGE, "Send JSON text frames, not binary ones.")
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise BadMessage(FRAME_TOO_LARGE, f"A message may be at most {MAX_FRAME_BYTES} bytes.")
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise BadMessage(INVALID_JSON, f"The message is not JSON: {exc}.") from exc
    if not isinstance(message, dict) or not isinstance(message.get("op"), str):
        raise BadMessage(INVALID_MESSAGE, 'A message is a JSON object with an "op".')
    op = message["op"]
    if op not in ("auth", "subscribe", "unsubscribe", "ping", "pong"):
        raise BadMessage(UNKNOWN_OP, f"Unknown op {op[:40]!r}: auth, subscribe, unsubscribe, ping or pong.")
    if op in ("subscribe", "unsubscribe"):
        _check_topics(message)
    if op == "auth" and not isinstance(message.get("token"), str):
        raise BadMessage(INVALID_MESSAGE, 'auth needs a "token": a JWT access token or an API key.')
    return message


def _check_topics(message: dict) -> None:
    topics = message.get("topics")
    if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
        raise BadMessage(INVALID_MESSAGE, '"topics" is a non-empty list of topic names.')
    if len(topics) > MAX_TOPICS_PER_MESSAGE:
        raise BadMessage(TOO_MANY_SUBSCRIPTIONS, f"At most {MAX_TOPICS_PER_MESSAGE} topics per message.")
    resume = message.get("resume_from")
    if resume is not None and (isinstance(resume, bool) or not isinstance(resume, int) or resume < 0):
        raise BadMessage(INVALID_MESSAGE, '"resume_from" is the last sequence number you received (0 or more).')
