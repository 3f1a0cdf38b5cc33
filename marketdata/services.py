"""Every write in marketdata."""

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.cache import TimedCache
from core.errors import Conflict, InvalidInput, RuleViolation

from . import scripmaster
from .intervals import INTERVALS, from_epoch
from .models import Candle, FeedStatus, Instrument, LiveInterest, Quote, WatchlistItem
from .ticks import CandleRow, LiveCandle, LiveQuote, QuoteRow

Progress = Callable[[str, int, int], None]

# --- Instrument master ----------------------------------------------------------


@dataclass
class ImportReport:
    rows: int = 0
    valid: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    errors: list[scripmaster.RowError] = field(default_factory=list)
    applied: bool = False
    reason: str = ""

    def summary(self) -> str:
        state = "applied" if self.applied else f"NOT applied ({self.reason})"
        return (
            f"{self.rows} rows, {self.valid} valid, {len(self.errors)} rejected; "
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"deactivated {self.deactivated}: {state}"
        )


class ImportRefused(RuleViolation):
    code = "import_refused"


_FIELDS = ("symbol", "name", "instrument_type", "lot_size", "tick_size", "expiry", "strike")
_BATCH = 2000


def instruments_import(
    *,
    data: bytes,
    max_error_ratio: float = 0.01,
    allow_shrink: bool = False,
    max_shrink_ratio: float = 0.10,
    dry_run: bool = False,
    deactivate_missing: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    """Load a scrip master, verify it whole, then swap it in with one transaction.

    Rows that fail validation are skipped and reported. The import changes
    nothing at all if more than `max_error_ratio` of rows fail, if the file
    is not a complete JSON array, or if it would deactivate more than
    `max_shrink_ratio` of the active instruments (unless `allow_shrink`).
    With `deactivate_missing=False` the file only adds and updates (a partial list).
    """
    report = ImportReport()
    step = (lambda done, total: progress("validating", done, total)) if progress else None
    rows, report.errors = scripmaster.parse(data, step)
    report.rows = len(rows) + len(report.errors)
    report.valid = len(rows)
    if not rows:
        report.reason = "the file has no valid rows"
        return report
    if len(report.errors) > max_error_ratio * report.rows:
        report.reason = (
            f"{len(report.errors)} of {report.rows} rows are invalid (more than {max_error_ratio:.1%}); "
            "fix the file or raise --max-error-ratio"
        )
        return report

    with transaction.atomic():
        existing = {
            (ex, tok): (pk, active, (sym, name, itype, lot, tick, expiry, strike))
            for pk, ex, tok, active, sym, name, itype, lot, tick, expiry, strike in Instrument.objects.values_list(
                "id", "exchange", "token", "is_active", *_FIELDS
            )
        }
        active_count = sum(1 for _, active, _ in existing.values() if active)
        new_keys = {row.key for row in rows}
        to_deactivate = (
            {existing[key][0] for key in existing if existing[key][1] and key not in new_keys}
            if deactivate_missing
            else set()
        )
        # A symbol may move to another token: its old holder must let go first.
        holder_of = {(ex, vals[0]): pk for (ex, _), (pk, active, vals) in existing.items() if active}
        to_write: list[Instrument] = []
        generation = (Instrument.objects.aggregate(g=Max("import_generation"))["g"] or 0) + 1
        for row in rows:
            values = (
                row.symbol,
                row.name,
                row.instrument_type,
                row.lot_size,
                row.tick_size,
                row.expiry,
                row.strike,
            )
            current = existing.get(row.key)
            if current is None:
                report.created += 1
            elif current[1] and _same(current[2], values):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            holder = holder_of.get((row.exchange, row.symbol))
            if holder is not None and (current is None or holder != current[0]):
                to_deactivate.add(holder)
            to_write.append(
                Instrument(
                    exchange=row.exchange,
                    token=row.token,
                    is_active=True,
                    import_generation=generation,
                    **dict(zip(_FIELDS, values, strict=True)),
                )
            )
        kept_ids = {existing[key][0] for key in new_keys if key in existing}
        report.deactivated = len(to_deactivate - kept_ids)
        if active_count and not allow_shrink and report.deactivated > max_shrink_ratio * active_count:
            report.reason = (
                f"it would deactivate {report.deactivated} of {active_count} active instruments "
                f"(more than {max_shrink_ratio:.0%}); is the file complete? Use --allow-shrink if it is"
            )
            return report
        if dry_run:
            report.reason = "dry run"
            transaction.set_rollback(True)
            return report
        now = timezone.now()
        deactivate = sorted(to_deactivate)
        for start in range(0, len(deactivate), _BATCH):
            Instrument.objects.filter(id__in=deactivate[start : start + _BATCH]).update(is_active=False, updated_at=now)
        for start in range(0, len(to_write), _BATCH):
            Instrument.objects.bulk_create(
                to_write[start : start + _BATCH],
                update_conflicts=True,
                unique_fields=["exchange", "token"],
                update_fields=[*_FIELDS, "is_active", "import_generation", "updated_at"],
            )
            if progress:
                progress("writing", min(start + _BATCH, len(to_write)), len(to_write))
        active_after = Instrument.objects.filter(is_active=True).count()
        newly_active = sum(1 for row in rows if not (row.key in existing and existing[row.key][1]))
        expected = active_count - report.deactivated + newly_active
        if active_after != expected:
            raise ImportRefused(
                f"Verification failed: {active_after} active instruments, expected {expected}; rolled back."
            )
        report.applied = True
    from .selectors import instrument_cache_clear

    instrument_cache_clear()
    return report


def _same(old: tuple, new: tuple) -> bool:
    return all(
        (Decimal(a) == Decimal(b)) if isinstance(b, Decimal) and a is not None else a == b
        for a, b in zip(old, new, strict=True)
    )


# --- Live state: what the feed flushes ----------------------------------------------


def market_state_flush(*, quotes: list[QuoteRow], candles: list[CandleRow]) -> None:
    """Persist what the tick processor changed since the last flush (upserts, one transaction)."""
    if not quotes and not candles:
        return
    with transaction.atomic():
        if quotes:
            Quote.objects.bulk_create(
                [
                    Quote(
                        instrument_id=q.instrument_id,
                        ltp=q.ltp,
                        bid=q.bid,
                        ask=q.ask,
                        open=q.open,
                        high=q.high,
                        low=q.low,
                        close=q.close,
                        volume=q.volume,
                        timestamp=from_epoch(q.ts),
                    )
                    for q in quotes
                ],
                update_conflicts=True,
                unique_fields=["instrument"],
                update_fields=["ltp", "bid", "ask", "open", "high", "low", "close", "volume", "timestamp"],
            )
        if candles:
            candles_upsert(
                Candle(
                    instrument_id=c.instrument_id,
                    interval=c.interval,
                    start=from_epoch(c.start),
                    open=c.open,
                    high=c.high,
                    low=c.low,
                    close=c.close,
                    volume=c.volume,
                )
                for c in candles
            )


def candles_upsert(candles: Iterable[Candle]) -> int:
    batch = list(candles)
    for start in range(0, len(batch), _BATCH):
        Candle.objects.bulk_create(
            batch[start : start + _BATCH],
            update_conflicts=True,
            unique_fields=["instrument", "interval", "start"],
            update_fields=["open", "high", "low", "close", "volume"],
        )
    return len(batch)


def market_state_load(instrument_id: int) -> tuple[LiveQuote | None, dict[str, LiveCandle]]:
    """Where an instrument left off: its last quote and its latest candles, for a restarted feed."""
    quote = None
    stored = Quote.objects.filter(instrument_id=instrument_id).first()
    candles: dict[str, LiveCandle] = {}
    for interval in INTERVALS:
        latest = Candle.objects.filter(instrument_id=instrument_id, interval=interval).order_by("-start").first()
        if latest is not None:
            candle = LiveCandle(int(latest.start.timestamp()), latest.open, latest.volume)
            candle.high, candle.low, candle.close = latest.high, latest.low, latest.close
            candles[interval] = candle
    if stored is not None:
        quote = LiveQuote(instrument_id)
        quote.ltp, quote.bid, quote.ask = stored.ltp, stored.bid, stored.ask
        quote.open, quote.high, quote.low, quote.close = stored.open, stored.high, stored.low, stored.close
        quote.volume = stored.volume
        # A timestamp ahead of our clock (skew, bad data) would make every live tick look late:
        # treat it as unknown.
        stored_ts = stored.timestamp.timestamp()
        quote.ts = stored_ts if stored_ts <= time.time() else 0.0
        epoch = int(quote.ts)
        from .intervals import ist_day_start

        quote.day = ist_day_start(epoch) if stored.open is not None else None
    elif "1d" in candles:
        # No quote yet: the latest daily candle gives the reference close.
        quote = LiveQuote(instrument_id)
        quote.close = candles["1d"].close
    return quote, candles


def feed_heartbeat(*, source: str, started_at: datetime, last_tick_at: float | None, ticks: int, instruments: int):
    FeedStatus.objects.update_or_create(
        source=source,
        defaults={
            "pid": os.getpid(),
            "started_at": started_at,
            "heartbeat_at": datetime.now(UTC),
            "last_tick_at": from_epoch(last_tick_at) if last_tick_at else None,
            "ticks_total": ticks,
            "instruments": instruments,
        },
    )


# --- Interest: what the feed should keep ticking ------------------------------------------

INTEREST_SECONDS = 300
# Instruments this process noted interest in lately: each is written at most once a minute.
_interest_noted = TimedCache(ttl=60.0)


def instruments_interest_note(*, instrument_ids: Iterable[int]) -> None:
    """Quotes were asked for: keep these instruments ticking for a few minutes.

    Each process writes at most once a minute per instrument, so the quotes
    hot path costs a dictionary lookup.
    """
    due = _interest_noted.split(instrument_ids)[1]
    if not due:
        return
    until = datetime.now(UTC) + timedelta(seconds=INTEREST_SECONDS)
    LiveInterest.objects.bulk_create(
        [LiveInterest(instrument_id=pk, until=until) for pk in due],
        update_conflicts=True,
        unique_fields=["instrument"],
        update_fields=["until"],
    )
    for pk in due:
        _interest_noted.put(pk, True)


# --- Watchlist ---------------------------------------------------------------------

WATCHLIST_MAX = 50


@transaction.atomic
def watchlist_add(*, user, instrument: Instrument) -> tuple[WatchlistItem, bool]:
    if not instrument.is_active:
        raise InvalidInput(f"{instrument.key} is no longer listed.", code="instrument_inactive", field="symbol")
    items = WatchlistItem.objects.select_for_update().filter(user=user)
    existing = [item for item in items if item.instrument_id == instrument.id]
    if existing:
        return existing[0], False
    if len(items) >= WATCHLIST_MAX:
        raise Conflict(
            f"Your watchlist already holds {WATCHLIST_MAX} instruments; remove one first.", code="watchlist_full"
        )
    last = max((item.position for item in items), default=-1)
    return WatchlistItem.objects.create(user=user, instrument=instrument, position=last + 1), True


def watchlist_remove(*, user, instrument_id: int) -> bool:
    deleted, _ = WatchlistItem.objects.filter(user=user, instrument_id=instrument_id).delete()
    return bool(deleted)


# --- Historical candles --------------------------------------------------------------


@transaction.atomic
def candles_import(*, instrument: Instrument, interval: str, candles: list, progress: Progress | None = None) -> int:
    """Upsert parsed candles (re-importing the same rows updates them, never duplicates)."""
    models = [
        Candle(
            instrument=instrument,
            interval=interval,
            start=c.start,
            open=c.open,
            high=c.high,
            low=c.low,
            close=c.close,
            volume=c.volume,
        )
        for c in candles
    ]
    for start in range(0, len(models), _BATCH):
        candles_upsert(models[start : start + _BATCH])
        if progress:
            progress("writing", min(start + _BATCH, len(models)), len(models))
    return len(models)
