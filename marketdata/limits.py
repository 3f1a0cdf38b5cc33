"""The exchanges' daily limits: F&O freeze quantities, the F&O ban list, circuit limits.

Loaded from the files the exchanges publish (each load replaces what it covers,
in one transaction, after the whole file was read and checked) and read by
the risk checks on every order, so reads are cached per process for a minute.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction

from core import clock
from core.cache import TimedCache
from core.errors import InvalidInput

from .models import CircuitLimit, FnoBan, FreezeQuantity, Instrument, Quote

DEFAULT_CIRCUIT_BAND = Decimal("0.20")  # NSE's widest band for stocks without derivatives
_cached = TimedCache(ttl=60.0)


@dataclass(frozen=True)
class LoadReport:
    loaded: int
    skipped: list[str]


def _rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, code="invalid_limits_file")


def freeze_quantities_load(*, text: str) -> LoadReport:
    """NSE's freeze list (SYMBOL, VOL_FRZ_QTY columns) or `underlying,quantity` rows: replaces the list."""
    rows = _rows(text)
    header = [h.upper() for h in rows[0]] if rows else []
    symbol_col = next((i for i, h in enumerate(header) if h in {"SYMBOL", "UNDERLYING"}), 0)
    qty_col = next((i for i, h in enumerate(header) if "QTY" in h or h == "QUANTITY"), 1)
    body = rows[1:] if header and not header[qty_col].isdigit() else rows
    parsed, skipped = {}, []
    for number, row in enumerate(body, start=2 if body is not rows else 1):
        try:
            parsed[row[symbol_col].upper()] = int(row[qty_col].replace(",", ""))
        except (IndexError, ValueError):
            skipped.append(f"row {number}: {','.join(row)[:80]}")
    if not parsed:
        raise _bad("No freeze quantities found in the file; nothing was changed.")
    with transaction.atomic():
        FreezeQuantity.objects.all().delete()
        FreezeQuantity.objects.bulk_create([FreezeQuantity(underlying=u, quantity=q) for u, q in parsed.items()])
    _cached.clear()
    return LoadReport(len(parsed), skipped)


def fno_ban_load(*, text: str, day: date | None = None) -> LoadReport:
    """The day's ban list (NSE's fo_secban.csv: one symbol per row, in its last column): replaces that day's."""
    day = day or clock.ist_date()
    symbols = sorted({row[-1].upper() for row in _rows(text) if row[-1] and not row[-1].upper().startswith("SECURIT")})
    with transaction.atomic():
        FnoBan.objects.filter(day=day).delete()
        FnoBan.objects.bulk_create([FnoBan(underlying=s, day=day) for s in symbols])
    _cached.clear()
    return LoadReport(len(symbols), [])


def circuit_limits_load(*, text: str, day: date | None = None) -> LoadReport:
    """`exchange,symbol,lower,upper` rows for the day (a header row is skipped); replaces that day's."""
    day = day or clock.ist_date()
    wanted, skipped = {}, []
    for number, row in enumerate(_rows(text), start=1):
        try:
            exchange, symbol, lower, upper = row[:4]
            wanted[(exchange.upper(), symbol)] = (Decimal(lower), Decimal(upper))
        except (ValueError, InvalidOperation):
            if number > 1:
                skipped.append(f"row {number}: {','.join(row)[:80]}")
    ids = {
        (i.exchange, i.symbol): i.id
        for i in Instrument.objects.filter(is_active=True, symbol__in=[s for _, s in wanted])
    }
    limits = [
        CircuitLimit(instrument_id=ids[key], day=day, lower=lo, upper=up)
        for key, (lo, up) in wanted.items()
        if key in ids
    ]
    skipped += [f"{e}:{s} is not a listed instrument" for e, s in wanted if (e, s) not in ids]
    with transaction.atomic():
        CircuitLimit.objects.filter(day=day, instrument_id__in=[c.instrument_id for c in limits]).delete()
        CircuitLimit.objects.bulk_create(limits)
    _cached.clear()
    return LoadReport(len(limits), skipped)


def circuit_limits_default(*, day: date | None = None) -> int:
    """Where no file gave today's band, the widest stock band around the previous close (cash equity only):
    what the simulated market trades within. Returns how many were added."""
    day = day or clock.ist_date()
    have = set(CircuitLimit.objects.filter(day=day).values_list("instrument_id", flat=True))
    quotes = Quote.objects.filter(instrument__instrument_type="EQ", close__isnull=False).exclude(instrument_id__in=have)
    limits = [
        CircuitLimit(
            instrument_id=q.instrument_id,
            day=day,
            lower=q.close * (1 - DEFAULT_CIRCUIT_BAND),
            upper=q.close * (1 + DEFAULT_CIRCUIT_BAND),
        )
        for q in quotes
    ]
    CircuitLimit.objects.bulk_create(limits, ignore_conflicts=True)
    _cached.clear()
    return len(limits)


# --- Reads for the risk checks -------------------------------------------------------------------


def freeze_quantity_for(underlying: str) -> int | None:
    table = _cached.get_or_set("freeze", lambda: dict(FreezeQuantity.objects.values_list("underlying", "quantity")))
    return table.get(underlying.upper())


def fno_banned(underlying: str, day: date) -> bool:
    banned = _cached.get_or_set(
        ("ban", day), lambda: set(FnoBan.objects.filter(day=day).values_list("underlying", flat=True))
    )
    return underlying.upper() in banned


def circuit_limit_for(instrument_id: int, day: date) -> tuple[Decimal, Decimal] | None:
    def load():
        return {c.instrument_id: (c.lower, c.upper) for c in CircuitLimit.objects.filter(day=day)}

    return _cached.get_or_set(("circuit", day), load).get(instrument_id)


def limits_cache_clear() -> None:
    _cached.clear()
