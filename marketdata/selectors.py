"""Every read in marketdata that is more than a .get."""

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, F, IntegerField, Max, Min, Q, QuerySet, Value, When

from core.cache import TimedCache
from core.errors import InvalidInput, NotFound, RuleViolation

from .intervals import interval_seconds
from .models import Candle, Exchange, Instrument, WatchlistItem
from .naming import EQUITY_SERIES_SUFFIX, search_words
from .quotes import quotes_get

EXCHANGES = {e.value for e in Exchange}
# EXCHANGE:SYMBOL, as the API schema states it too (so no named groups).
SYMBOL_KEY_PATTERN = rf"^({'|'.join(sorted(EXCHANGES))}):([A-Za-z0-9&_.\- ]{{1,64}})$"
SYMBOL_KEY = re.compile(SYMBOL_KEY_PATTERN)


@dataclass(frozen=True, slots=True)
class InstrumentRef:
    """The few fields hot paths need, cached per process."""

    id: int
    exchange: str
    symbol: str
    price_places: int


def parse_symbol_key(key: str, *, field: str = "symbol") -> tuple[str, str]:
    """`NSE:SBIN-EQ` -> ("NSE", "SBIN-EQ"), or a clear error."""
    match = SYMBOL_KEY.match(key.strip())
    if not match or match[1] not in EXCHANGES:
        raise InvalidInput(
            f"{key[:80]!r} is not EXCHANGE:SYMBOL with a known exchange (e.g. NSE:SBIN-EQ).",
            code="invalid_symbol",
            field=field,
        )
    return match[1], match[2]


# Instruments change once a day (the scrip master import): hot paths remember them for a minute.
_refs = TimedCache(ttl=60.0)
_instruments = TimedCache(ttl=60.0)


def instrument_cache_clear() -> None:
    _refs.clear()
    _instruments.clear()


def instrument_refs_resolve(keys: list[tuple[str, str]]) -> dict[tuple[str, str], InstrumentRef]:
    """Active instruments for (exchange, symbol) pairs; unknown pairs are simply absent."""
    found, missing = _refs.split(keys)
    if missing:
        # One `symbol IN (...)` per exchange uses the (exchange, symbol) index directly.
        by_exchange: dict[str, list[str]] = {}
        for exchange, symbol in missing:
            by_exchange.setdefault(exchange, []).append(symbol)
        query = Q()
        for exchange, symbols in by_exchange.items():
            query |= Q(exchange=exchange, symbol__in=symbols)
        rows = Instrument.objects.filter(query, is_active=True).values_list("id", "exchange", "symbol", "tick_size")
        for pk, exchange, symbol, tick_size in rows:
            ref = InstrumentRef(pk, exchange, symbol, Instrument(tick_size=tick_size).price_places)
            found[(exchange, symbol)] = ref
            _refs.put((exchange, symbol), ref)
    return found


def instrument_get_by_key(*, exchange: str, symbol: str) -> Instrument:
    instrument = Instrument.objects.filter(exchange=exchange, symbol=symbol, is_active=True).first()
    if instrument is None:
        raise NotFound(f"No listed instrument {exchange}:{symbol}.", code="unknown_symbol")
    return instrument


def instrument_resolve(*, text: str, field: str = "symbol") -> Instrument:
    """An active instrument as a trader writes it: NSE:SBIN-EQ, SBIN or sbin. A name that fits several is an
    error naming them (a careful broker asks rather than picks NSE or BSE for the trader)."""
    text = text.strip()[:80]
    exchange, _, symbol = text.rpartition(":")
    found = Instrument.objects.filter(is_active=True)
    if exchange:
        found = found.filter(exchange=exchange.upper(), symbol__iexact=symbol)
    else:
        found = found.filter(Q(symbol__iexact=text) | Q(symbol__iexact=f"{text}{EQUITY_SERIES_SUFFIX}"))
    found = list(found.order_by("exchange", "symbol")[:5])
    if len(found) == 1:
        return found[0]
    if found:
        choices = " or ".join(i.key for i in found)
        message = f"{text} is listed as {choices}. Which one? Write it as shown."
        raise InvalidInput(message, code="ambiguous_symbol", field=field)
    raise NotFound(_unknown_message(text), code="unknown_symbol", field=field)


def _unknown_message(text: str) -> str:
    suggestions = [f"{i.key} ({i.display_name})" for i in instrument_search(search=text)[:3]] if text else []
    hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else " Search by symbol or name, e.g. SBIN."
    return f"No instrument is called {text}.{hint}"


def instrument_cached(*, exchange: str, symbol: str) -> Instrument:
    """instrument_get_by_key, remembered in this process for a minute: orders read it on every placement."""
    return _instruments.get_or_set((exchange, symbol), lambda: instrument_get_by_key(exchange=exchange, symbol=symbol))


def instrument_cached_by_id(instrument_id: int) -> Instrument:
    """An instrument by id, remembered in this process for a minute: the worker reads it for every order."""
    return _instruments.get_or_set(instrument_id, lambda: Instrument.objects.get(id=instrument_id))


def instrument_get(*, instrument_id: int) -> Instrument:
    instrument = Instrument.objects.filter(id=instrument_id).first()
    if instrument is None:
        raise NotFound("No such instrument.", code="unknown_instrument")
    return instrument


# Within equally good matches, what a trader usually means first.
_KIND_ORDER = Case(
    When(instrument_type="EQ", then=Value(0)),
    When(instrument_type__in=["AMXIDX", "INDEX"], then=Value(1)),
    When(instrument_type__startswith="FUT", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def instrument_search(
    *, search: str = "", exchange: str = "", instrument_type: str = "", include_inactive: bool = False
) -> QuerySet[Instrument]:
    """Instruments holding every word of `search` in any order (symbol, underlying, company, strike, CE/PE,
    FUT, expiry day and month, token), best matches first: the exact symbol or token, then the underlying's
    or the company's own contracts, then matches at word starts, then anywhere; within each, shares, indices,
    futures, options, nearest expiry and lowest strike first."""
    qs = Instrument.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if exchange:
        qs = qs.filter(exchange=exchange.upper())
    if instrument_type:
        qs = qs.filter(instrument_type=instrument_type.upper())
    words = search_words(search)
    if not words:
        return qs.order_by("exchange", "symbol")
    for word in words:
        qs = qs.filter(search_terms__contains=word)
    ranked = qs.annotate(match=_match_rank(search.strip(), words), kind=_KIND_ORDER)
    return ranked.order_by("match", "kind", F("expiry").asc(nulls_first=True), "strike", "exchange", "symbol")


def _match_rank(text: str, words: list[str]) -> Case:
    exact = Q(symbol__iexact=text) | Q(symbol__iexact=f"{text}{EQUITY_SERIES_SUFFIX}") | Q(token=text)
    own = Q(company_name__istartswith=" ".join(words))
    for word in words:
        own |= Q(name__iexact=word)
    at_word_starts = Q()
    for word in words:
        at_word_starts &= Q(search_terms__contains=f" {word}")
    return Case(
        When(exact, then=Value(0)),
        When(own, then=Value(1)),
        When(at_word_starts, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def instruments_with_ltp(instruments) -> list[Instrument]:
    """The instruments, each with `ltp`: its last traded price from the quote cache, or None before any tick."""
    instruments = list(instruments)
    found, _ = quotes_get([i.id for i in instruments])
    for instrument in instruments:
        quote = found.get(instrument.id)
        instrument.ltp = quote.ltp if quote else None
    return instruments


MAX_CANDLES = 5000


def candles_list(*, instrument: Instrument, interval: str, start: datetime, end: datetime) -> QuerySet[Candle]:
    if end <= start:
        raise RuleViolation("`end` must be after `start`.", code="invalid_range", field="end")
    count = (end - start).total_seconds() / interval_seconds(interval)
    if count > MAX_CANDLES:
        longest = interval_seconds(interval) * MAX_CANDLES
        raise RuleViolation(
            f"That range holds up to {int(count)} {interval} candles; at most {MAX_CANDLES} per request "
            f"(about {longest / 86400:.1f} days of {interval}). Narrow the range or use a longer interval.",
            code="range_too_large",
            field="start",
        )
    return Candle.objects.filter(instrument=instrument, interval=interval, start__gte=start, start__lt=end).order_by(
        "start"
    )


def candles_stored_range(*, interval: str, instruments=None) -> tuple[datetime, datetime] | None:
    """The first and the last stored candle's start (of these instruments, or of all), or None."""
    candles = Candle.objects.filter(interval=interval)
    if instruments is not None:
        candles = candles.filter(instrument__in=instruments)
    found = candles.aggregate(first=Min("start"), last=Max("start"))
    return (found["first"], found["last"]) if found["first"] else None


def watchlist_for_user(*, user) -> QuerySet[WatchlistItem]:
    return WatchlistItem.objects.filter(user=user).select_related("instrument").order_by("position", "id")


def interesting_instrument_ids() -> set[int]:
    from django.utils import timezone

    from .models import LiveInterest

    return set(LiveInterest.objects.filter(until__gt=timezone.now()).values_list("instrument_id", flat=True))


def watched_instrument_ids() -> set[int]:
    return set(WatchlistItem.objects.values_list("instrument_id", flat=True).distinct())
