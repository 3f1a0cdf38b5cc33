"""Reads Angel One's scrip master (a JSON array of all-string rows) into checked rows.

Nothing here touches the database: `parse()` turns bytes into `ScripRow`s
plus the errors of the rows it refused (with their 1-based row numbers), so
the import can decide with the whole file in view before changing anything.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from core.clock import IST

from .models import INDEX_TYPES, Exchange

PAISE = Decimal(100)
RUPEE_PLACES = Decimal("0.0001")
REQUIRED = ("token", "symbol", "exch_seg", "lotsize", "tick_size")
EXCHANGES = {e.value for e in Exchange}


class ScripMasterError(Exception):
    """The file as a whole cannot be used (not JSON, not an array, truncated)."""


@dataclass(frozen=True, slots=True)
class ScripRow:
    exchange: str
    symbol: str
    token: str
    name: str
    company_name: str  # not in Angel One's file; the demo's carries it
    instrument_type: str
    lot_size: int
    tick_size: Decimal
    expiry: date | None
    strike: Decimal | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.exchange, self.token)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based position in the JSON array
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}"


class _Bad(Exception):
    pass


def _text(raw: dict, field: str, max_length: int, required: bool = True) -> str:
    value = raw.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _Bad(f"{field} must be a string, got {type(value).__name__}")
    value = value.strip()
    if required and not value:
        raise _Bad(f"{field} is empty")
    if len(value) > max_length:
        raise _Bad(f"{field} is longer than {max_length} characters")
    return value


def _decimal(raw: dict, field: str) -> Decimal:
    text = _text(raw, field, 32)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise _Bad(f"{field} {text!r} is not a number") from None
    if not value.is_finite():
        raise _Bad(f"{field} {text!r} is not a finite number")
    return value


def _rupees(paise: Decimal, field: str) -> Decimal:
    rupees = paise / PAISE
    if rupees != rupees.quantize(RUPEE_PLACES):
        raise _Bad(f"{field} {paise} paise has more precision than 0.01 paise")
    return rupees.quantize(RUPEE_PLACES)


def parse_row(raw: object) -> ScripRow:
    if not isinstance(raw, dict):
        raise _Bad("not an object")
    missing = [f for f in REQUIRED if f not in raw]
    if missing:
        raise _Bad(f"missing {', '.join(missing)}")
    exchange = _text(raw, "exch_seg", 8).upper()
    if exchange not in EXCHANGES:
        raise _Bad(f"unknown exch_seg {exchange!r}")
    instrument_type = _text(raw, "instrumenttype", 16, required=False).upper() or "EQ"
    lot_text = _text(raw, "lotsize", 12)
    try:
        lot_size = int(Decimal(lot_text))
    except (InvalidOperation, ValueError):
        raise _Bad(f"lotsize {lot_text!r} is not a whole number") from None
    if lot_size < 1 or Decimal(lot_text) != lot_size:
        raise _Bad(f"lotsize {lot_text!r} must be a whole number of at least 1")
    tick_paise = _decimal(raw, "tick_size")
    is_index = instrument_type in INDEX_TYPES
    if tick_paise <= 0 and not is_index:
        raise _Bad(f"tick_size {tick_paise} must be positive")
    tick_size = _rupees(max(tick_paise, Decimal(0)), "tick_size")
    strike = None
    if str(raw.get("strike", "")).strip():
        strike_paise = _decimal(raw, "strike")
        strike = None if strike_paise < 0 else _rupees(strike_paise, "strike")
    expiry = None
    expiry_text = _text(raw, "expiry", 16, required=False)
    if expiry_text:
        try:
            expiry = datetime.strptime(expiry_text.upper(), "%d%b%Y").replace(tzinfo=IST).date()  # an IST date
        except ValueError:
            raise _Bad(f"expiry {expiry_text!r} is not like 28MAR2024") from None
    return ScripRow(
        exchange=exchange,
        symbol=_text(raw, "symbol", 64),
        token=_text(raw, "token", 32),
        name=_text(raw, "name", 128, required=False),
        company_name=_text(raw, "company_name", 128, required=False),
        instrument_type=instrument_type,
        lot_size=lot_size,
        tick_size=tick_size,
        expiry=expiry,
        strike=strike,
    )


def parse(data: bytes, progress: Callable[[int, int], None] | None = None) -> tuple[list[ScripRow], list[RowError]]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScripMasterError(f"not valid JSON (truncated or corrupt file?): {exc}") from None
    if not isinstance(document, list):
        raise ScripMasterError("the scrip master must be a JSON array of rows")
    rows: list[ScripRow] = []
    errors: list[RowError] = []
    seen_tokens: dict[tuple[str, str], int] = {}
    seen_symbols: dict[tuple[str, str], int] = {}
    total = len(document)
    for number, raw in enumerate(document, start=1):
        try:
            row = parse_row(raw)
        except _Bad as exc:
            errors.append(RowError(number, str(exc)))
            continue
        first = seen_tokens.get(row.key)
        if first is not None:
            errors.append(RowError(number, f"duplicate token {row.exchange}:{row.token} (first at row {first})"))
            continue
        symbol_key = (row.exchange, row.symbol)
        first = seen_symbols.get(symbol_key)
        if first is not None:
            errors.append(RowError(number, f"duplicate symbol {row.exchange}:{row.symbol} (first at row {first})"))
            continue
        seen_tokens[row.key] = number
        seen_symbols[symbol_key] = number
        rows.append(row)
        if progress and number % 10_000 == 0:
            progress(number, total)
    if progress:
        progress(total, total)
    return rows, errors
