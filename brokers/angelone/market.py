"""Quotes and candles over SmartAPI, in the chunks the API allows."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from core.clock import IST
from marketdata.selectors import instrument_refs_resolve

from ..base import BrokerQuote
from . import endpoints as ep
from .envelope import dec, integer
from .errors import InputError

QUOTE_CHUNK = 50
# The platform's intervals -> (Angel One's name, most days per request).
INTERVALS = {
    "1m": ("ONE_MINUTE", 30),
    "3m": ("THREE_MINUTE", 60),
    "5m": ("FIVE_MINUTE", 100),
    "10m": ("TEN_MINUTE", 100),
    "15m": ("FIFTEEN_MINUTE", 200),
    "30m": ("THIRTY_MINUTE", 200),
    "1h": ("ONE_HOUR", 400),
    "1d": ("ONE_DAY", 2000),
}


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def quotes(client, keys: list[tuple[str, str]]) -> list[BrokerQuote]:
    """Full quotes for (exchange, symbol) keys, at most 50 tokens a request."""
    from marketdata.models import Instrument

    refs = instrument_refs_resolve(keys)
    tokens = dict(
        Instrument.objects.filter(id__in=[r.id for r in refs.values()]).values_list("id", "token")
    )  # instrument id -> token
    wanted = [(r.exchange, tokens[r.id], r.symbol) for r in refs.values() if r.id in tokens]
    by_token = {(exchange, token): symbol for exchange, token, symbol in wanted}
    out: list[BrokerQuote] = []
    for part in chunks(wanted, QUOTE_CHUNK):
        exchange_tokens: dict[str, list[str]] = {}
        for exchange, token, _ in part:
            exchange_tokens.setdefault(exchange, []).append(token)
        data = client.request(ep.QUOTE, {"mode": "FULL", "exchangeTokens": exchange_tokens}) or {}
        for row in data.get("fetched") or []:
            key = (str(row.get("exchange")), str(row.get("symbolToken") or row.get("symboltoken")))
            if key in by_token and dec(row.get("ltp")) is not None:
                out.append(_quote(key[0], by_token[key], row))
    return out


def _best(depth: dict | None, side: str) -> Decimal | None:
    levels = (depth or {}).get(side) or []
    price = dec(levels[0].get("price")) if levels and isinstance(levels[0], dict) else None
    return price or None


def _quote(exchange: str, symbol: str, row: dict) -> BrokerQuote:
    depth = row.get("depth") if isinstance(row.get("depth"), dict) else None
    return BrokerQuote(
        exchange=exchange, symbol=symbol, ltp=dec(row.get("ltp")), bid=_best(depth, "buy"), ask=_best(depth, "sell")
    )


def candle_windows(interval: str, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) cut into windows no longer than the interval's day limit."""
    try:
        _, days = INTERVALS[interval]
    except KeyError:
        raise InputError(f"Angel One has no {interval} candles.", code="invalid_interval") from None
    windows = []
    cursor = start
    while cursor < end:
        stop = min(end, cursor + timedelta(days=days))
        windows.append((cursor, stop))
        cursor = stop
    return windows


def candles(client, exchange: str, symbol: str, interval: str, start: datetime, end: datetime) -> list[dict]:
    from marketdata.selectors import instrument_cached

    token = instrument_cached(exchange=exchange, symbol=symbol).token
    name = INTERVALS.get(interval, ("", 0))[0]
    seen: dict[datetime, dict] = {}
    for window_start, window_end in candle_windows(interval, start, end):
        body = {
            "exchange": exchange,
            "symboltoken": token,
            "interval": name,
            "fromdate": window_start.astimezone(IST).strftime("%Y-%m-%d %H:%M"),
            "todate": window_end.astimezone(IST).strftime("%Y-%m-%d %H:%M"),
        }
        for row in client.request(ep.CANDLES, body) or []:
            candle = _candle(row)
            if candle and start <= candle["start"] < end:
                seen[candle["start"]] = candle  # window edges may repeat a candle
    return [seen[key] for key in sorted(seen)]


def _candle(row) -> dict | None:
    if not isinstance(row, list | tuple) or len(row) < 6:
        return None
    try:
        when = datetime.fromisoformat(str(row[0]))
    except ValueError:
        return None
    prices = [dec(v) for v in row[1:5]]
    if any(p is None for p in prices):
        return None
    return dict(zip(("open", "high", "low", "close"), prices, strict=True), start=when, volume=integer(row[5]))
