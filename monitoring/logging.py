"""Log lines: secrets kept out whatever code wrote them, the request id in each, JSON when asked for."""

import json
import logging
import re
from datetime import UTC, datetime

from .tracing import current_request_id

# The names of secrets to scrub from log lines (not a secret itself).
_SECRET_NAMES = (
    r"password|passwd|pin|totp|secret|api[_-]?key|private[_-]?key|token|jwttoken|refreshtoken|feedtoken|authorization"  # noqa: S105
)
_PATTERNS = [
    # key=value, key: value, "key": "value"
    re.compile(rf'(?i)("?(?:{_SECRET_NAMES})"?\s*[:=]\s*"?(?:bearer\s+)?)([^"\s,&}}]+)'),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9._~+/=-]+)"),
]


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}[REDACTED]", text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` attribute ("-" outside a request or task that has one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), for log shippers; the message is already redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or "-",
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str)
