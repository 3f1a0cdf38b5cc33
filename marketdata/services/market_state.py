"""The live market's state in the database: what the feed flushes and reloads, historical candles."""

import os
from collections.abc import Iterable

from django.db import transaction

from core import clock

from ..intervals import INTERVALS, from_epoch, ist_day_start
from ..models import Candle, FeedStatus, Instrument, Quote
from ..ticks import CandleRow, LiveCandle, LiveQuote, QuoteRow
from .instruments import BATCH, Progress


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
    for start in range(0, len(batch), BATCH):
        Candle.objects.bulk_create(
            batch[start : start + BATCH],
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
        quote.ts = stored_ts if stored_ts <= clock.now().timestamp() else 0.0
        epoch = int(quote.ts)
        quote.day = ist_day_start(epoch) if stored.open is not None else None
    elif "1d" in candles:
        # No quote yet: the latest daily candle gives the reference close.
        quote = LiveQuote(instrument_id)
        quote.close = candles["1d"].close
    return quote, candles


def feed_heartbeat(*, source: str, started_at, last_tick_at: float | None, ticks: int, instruments: int):
    FeedStatus.objects.update_or_create(
        source=source,
        defaults={
            "pid": os.getpid(),
            "started_at": started_at,
            "heartbeat_at": clock.now(),
            "last_tick_at": from_epoch(last_tick_at) if last_tick_at else None,
            "ticks_total": ticks,
            "instruments": instruments,
        },
    )


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
    for start in range(0, len(models), BATCH):
        candles_upsert(models[start : start + BATCH])
        if progress:
            progress("writing", min(start + BATCH, len(models)), len(models))
    return len(models)
