"""Reads historical candles from CSV, as pandas and most vendors write them.

Header row required. The time column is `date`, `datetime`, `timestamp` or
`time` (any case), or an unnamed first column (a pandas index). Then `open`,
`high`, `low`, `close`, `volume` in any case and order; other columns are
ignored. Times may be ISO 8601 with or without offset (naive times are IST),
a bare date (IST midnight), or epoch seconds/milliseconds. Prices are kept
exactly as written.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation

from core.clock import IST

from .intervals import bucket_start

TIME_NAMES = ("date", "datetime", "timestamp", "time")
PRICE_NAMES = ("open", "high", "low", "close")
MAX_PLACES = 6  # what Candle stores


class CandleFileError(Exception):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True, slots=True)
class CandleInput:
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: int


class _Bad(Exception):
    pass


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for wanted in TIME_NAMES:
        if wanted in names:
            columns["time"] = names.index(wanted)
            break
    else:
        if names and names[0] == "":
            columns["time"] = 0
    missing = [n for n in (*PRICE_NAMES, "volume") if n not in names]
    if "time" not in columns:
        missing.insert(0, "date/timestamp")
    if missing:
        raise CandleFileError(f"the header lacks {', '.join(missing)} (found: {', '.join(header) or 'nothing'})")
    for name in (*PRICE_NAMES, "volume"):
        columns[name] = names.index(name)
    return columns


def _parse_time(text: str) -> datetime:
    text = text.strip()
    if not text:
        raise _Bad("the time is empty")
    if text.replace(".", "", 1).isdigit():
        number = float(text)
        return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, tz=UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(f"{text!r} is not an ISO date/time or epoch seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=IST)
    return moment.astimezone(UTC)


def _price(text: str, name: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise _Bad(f"{name} {text.strip()!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise _Bad(f"{name} {text.strip()!r} must be a positive number")
    if -value.as_tuple().exponent > MAX_PLACES:
        raise _Bad(f"{name} {text.strip()!r} has more than {MAX_PLACES} decimal places")
    if value >= Decimal(10) ** 12:
        raise _Bad(f"{name} {text.strip()!r} is too large")
    return value


def _volume(text: str) -> int:
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation:
        raise _Bad(f"volume {text.strip()!r} is not a number") from None
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise _Bad(f"volume {text.strip()!r} must be a whole number, zero or more")
    return int(value)


def parse(text: str, interval: str) -> tuple[list[CandleInput], list[tuple[int, str]]]:
    """Candles and (line number, message) for each rejected line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise CandleFileError("the file is empty") from None
    columns = _columns(header)
    width = max(columns.values()) + 1
    candles: list[CandleInput] = []
    errors: list[tuple[int, str]] = []
    seen: dict[datetime, int] = {}
    for line_number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            if len(row) < width:
                raise _Bad(f"expected at least {width} columns, got {len(row)}")
            start = _parse_time(row[columns["time"]])
            epoch = int(start.timestamp())
            if start.timestamp() != epoch or bucket_start(epoch, interval) != epoch:
                if interval == "1d" and start.astimezone(IST).time() != time(0):
                    # A daily row stamped with the session open (09:15) still means that day.
                    start = datetime.combine(start.astimezone(IST).date(), time(0), IST).astimezone(UTC)
                else:
                    raise _Bad(f"{row[columns['time']].strip()!r} is not on a {interval} boundary")
            o, h, low, c = (_price(row[columns[n]], n) for n in PRICE_NAMES)
            if not (low <= o <= h and low <= c <= h):
                raise _Bad(f"prices are inconsistent: need low <= open, close <= high (o={o} h={h} l={low} c={c})")
            if start in seen:
                raise _Bad(f"duplicate time {start.isoformat()} (first on line {seen[start]})")
            seen[start] = line_number
            candles.append(CandleInput(start, o, h, low, c, _volume(row[columns["volume"]])))
        except _Bad as exc:
            errors.append((line_number, str(exc)))
    return candles, errors
