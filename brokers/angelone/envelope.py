"""Reads one SmartAPI HTTP answer: the data on success, a typed exception otherwise.

Quirks handled here: two envelope shapes (`status/errorcode` and
`success/errorCode`), booleans and nulls sent as the strings "true"/"false"/
"null", the plain-text 403 of the rate limiter, HTML error pages from the
gateway, and numbers sent as strings (see `dec` and `integer`).
"""

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import AngelError, BrokerInternal, RateLimited, error_for_code

RATE_LIMIT_TEXT = "exceeding access rate"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _nullish(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("null", "none", ""):
        return None
    return value


def parse(status_code: int, body: bytes) -> Any:
    """The `data` of a successful answer; raises an AngelError for anything else."""
    text = body.decode("utf-8", errors="replace")
    if status_code == 403 and RATE_LIMIT_TEXT in text.lower():
        raise RateLimited("The broker's rate limit was exceeded.", broker_code="HTTP403", maybe_sent=False)
    try:
        payload = json.loads(text) if text.strip() else None
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise _unreadable(status_code, text)
    ok = _truthy(payload["status"] if "status" in payload else payload.get("success"))
    code = str(payload.get("errorcode") or payload.get("errorCode") or "").strip()
    message = str(payload.get("message") or "").strip()
    if ok and not code and status_code < 400:
        return _nullish(payload.get("data"))
    if code:
        raise error_for_code(code, message)
    if status_code >= 500:
        raise BrokerInternal(f"HTTP {status_code}: {message or 'server error'}", broker_code=f"HTTP{status_code}")
    if status_code == 429:
        raise RateLimited(message or "Too many requests.", broker_code="HTTP429", maybe_sent=False)
    raise error_for_code("", message or f"The broker answered HTTP {status_code} without a reason.")


def _unreadable(status_code: int, text: str) -> AngelError:
    kind = "an HTML page" if text.lstrip().startswith("<") else "an unreadable answer"
    if status_code == 403:
        return RateLimited(f"HTTP 403 with {kind}.", broker_code="HTTP403", maybe_sent=False)
    return BrokerInternal(f"HTTP {status_code} with {kind} instead of JSON.", broker_code=f"HTTP{status_code}")


def dec(value: Any) -> Decimal | None:
    """A number the broker sent (usually as a string) as a Decimal; None when absent or unreadable."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def integer(value: Any) -> int:
    number = dec(value)
    return int(number) if number is not None else 0
