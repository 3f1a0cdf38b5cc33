"""Keeps secrets out of log lines, whatever code wrote them."""

import logging
import re

_SECRET_NAMES = (
    r"password|passwd|pin|totp|secret|api[_-]?key|private[_-]?key|token|jwttoken|refreshtoken|feedtoken|authorization"
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
