"""Market data endpoints under /api/v1/."""

import time
from datetime import UTC, datetime
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictSerializer, iso_utc
from core.errors import InvalidInput, NotFound

from . import quotes as quote_cache
from .candles_csv import IST
from .intervals import INTERVALS, interval_delta
from .models import Instrument
from .selectors import (
    candles_list,
    instrument_get,
    instrument_get_by_key,
    instrument_refs_resolve,
    instrument_search,
    parse_symbol_key,
    watchlist_for_user,
)
from .services import instruments_interest_note, watchlist_add, watchlist_remove

MAX_QUOTE_SYMBOLS = 50
CENT = Decimal("0.01")


def fmt(value: Decimal | None) -> str | None:
    """Prices as decimal strings: two places, or more when the price has them (currency, options)."""
    if value is None:
        return None
    rounded = value.quantize(CENT)
    return f"{rounded:f}" if rounded == value else f"{value.normalize():f}"


def parse_datetime_param(value: str | None, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    text = value.strip().replace("Z", "+00:00")
    if "T" in text and " " in text:
        text = text.replace(" ", "+")  # an unencoded "+05:30" arrives as " 05:30"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"`{name}` must be an ISO 8601 date or date-time, e.g. 2026-11-24T09:15:00+05:30.",
            code="invalid_datetime",
            field=name,
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=IST)).astimezone(UTC)


class QuoteSerializer(serializers.Serializer):
    exchange = serializers.CharField()
    symbol = serializers.CharField()
    ltp = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    bid = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    ask = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    open = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    high = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    low = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    close = serializers.DecimalField(
        max_digits=18, decimal_places=6, allow_null=True, help_text="Previous session's close."
    )
    change = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    change_percent = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    volume = serializers.IntegerField()
    timestamp = serializers.DateTimeField(allow_null=True, help_text="Time of the last tick (UTC).")
    age_ms = serializers.IntegerField(allow_null=True, help_text="Milliseconds since the last tick.")
    stale = serializers.BooleanField(
        help_text="True when the last tick is older than the staleness threshold (QUOTES_STALE_AFTER_SECONDS)."
    )


class QuotesApi(APIView):
    class OutputSerializer(serializers.Serializer):
        quotes = QuoteSerializer(many=True)
        unknown = serializers.ListField(child=serializers.CharField(), help_text="Symbols with no listed instrument.")

    @extend_schema(
        operation_id="quotes_list",
        tags=["market data"],
        parameters=[
            OpenApiParameter(
                "symbols",
                OpenApiTypes.STR,
                required=True,
                description=f"Comma-separated EXCHANGE:SYMBOL, at most {MAX_QUOTE_SYMBOLS}: NSE:SBIN-EQ,NSE:INFY-EQ",
            )
        ],
        responses={200: OutputSerializer},
        description="Latest quotes from the two-level cache. Stale quotes are served, flagged `stale`.",
    )
    def get(self, request):
        raw = request.query_params.get("symbols", "")
        keys = list(dict.fromkeys(k.strip() for k in raw.split(",") if k.strip()))
        if not keys:
            raise InvalidInput("Give `symbols`: EXCHANGE:SYMBOL,... (e.g. NSE:SBIN-EQ).", field="symbols")
        if len(keys) > MAX_QUOTE_SYMBOLS:
            raise InvalidInput(
                f"At most {MAX_QUOTE_SYMBOLS} symbols per request; got {len(keys)}.",
                code="too_many_symbols",
                field="symbols",
            )
        pairs = [parse_symbol_key(k, field="symbols") for k in keys]
        refs = instrument_refs_resolve(pairs)
        ids = [ref.id for ref in refs.values()]
        instruments_interest_note(instrument_ids=ids)
        found, _ = quote_cache.quotes_get(ids)
        now = time.time()
        rows, unknown = [], []
        for key, pair in zip(keys, pairs, strict=True):
            ref = refs.get(pair)
            if ref is None:
                unknown.append(key)
                continue
            q = found.get(ref.id)
            rows.append(_quote_row(ref.exchange, ref.symbol, q, now))
        return Response({"quotes": rows, "unknown": unknown})


def _quote_row(exchange: str, symbol: str, q, now: float) -> dict:
    if q is None:
        return {
            "exchange": exchange, "symbol": symbol, "ltp": None, "bid": None, "ask": None, "open": None,
            "high": None, "low": None, "close": None, "change": None, "change_percent": None, "volume": 0,
            "timestamp": None, "age_ms": None, "stale": True,
        }  # fmt: skip
    change = change_percent = None
    if q.close:
        change = q.ltp - q.close
        change_percent = f"{(change * 100 / q.close).quantize(CENT):f}"
    return {
        "exchange": exchange,
        "symbol": symbol,
        "ltp": fmt(q.ltp),
        "bid": fmt(q.bid),
        "ask": fmt(q.ask),
        "open": fmt(q.open),
        "high": fmt(q.high),
        "low": fmt(q.low),
        "close": fmt(q.close),
        "change": fmt(change),
        "change_percent": change_percent,
        "volume": q.volume,
        "timestamp": iso_utc(datetime.fromtimestamp(q.ts, tz=UTC)),
        "age_ms": quote_cache.age_ms(q, now),
        "stale": quote_cache.is_stale(q, now),
    }


class CandlesApi(APIView):
    class CandleSerializer(serializers.Serializer):
        start = serializers.DateTimeField(help_text="Bucket start (UTC).")
        open = serializers.DecimalField(max_digits=18, decimal_places=6)
        high = serializers.DecimalField(max_digits=18, decimal_places=6)
        low = serializers.DecimalField(max_digits=18, decimal_places=6)
        close = serializers.DecimalField(max_digits=18, decimal_places=6)
        volume = serializers.IntegerField()

    class OutputSerializer(serializers.Serializer):
        exchange = serializers.CharField()
        symbol = serializers.CharField()
        interval = serializers.ChoiceField(choices=INTERVALS)
        candles = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        operation_id="candles_list",
        tags=["market data"],
        parameters=[
            OpenApiParameter("symbol", OpenApiTypes.STR, required=True, description="EXCHANGE:SYMBOL"),
            OpenApiParameter("interval", OpenApiTypes.STR, required=True, enum=list(INTERVALS)),
            OpenApiParameter(
                "start", OpenApiTypes.DATETIME, description="Default: 300 intervals before `end`. Naive = IST."
            ),
            OpenApiParameter("end", OpenApiTypes.DATETIME, description="Exclusive. Default: now. Naive = IST."),
        ],
        responses={200: OutputSerializer},
        description="OHLCV rows in time order, the forming candle included; prices are decimal strings. "
        "At most 5000 candles per request (`range_too_large`).",
    )
    def get(self, request):
        params = request.query_params
        if not params.get("symbol"):
            raise InvalidInput("Give `symbol` as EXCHANGE:SYMBOL.", field="symbol")
        exchange, symbol = parse_symbol_key(params["symbol"])
        interval = params.get("interval", "")
        if interval not in INTERVALS:
            raise InvalidInput(
                f"`interval` must be one of {', '.join(INTERVALS)}.", code="invalid_interval", field="interval"
            )
        end = parse_datetime_param(params.get("end"), "end") or datetime.now(UTC) + interval_delta(interval)
        start = parse_datetime_param(params.get("start"), "start") or end - 300 * interval_delta(interval)
        instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        rows = candles_list(instrument=instrument, interval=interval, start=start, end=end).values_list(
            "start", "open", "high", "low", "close", "volume"
        )
        candles = [
            {"start": iso_utc(s), "open": fmt(o), "high": fmt(h), "low": fmt(lo), "close": fmt(c), "volume": v}
            for s, o, h, lo, c, v in rows
        ]
        return Response({"exchange": exchange, "symbol": symbol, "interval": interval, "candles": candles})


class InstrumentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = [
            "id",
            "exchange",
            "symbol",
            "token",
            "name",
            "instrument_type",
            "lot_size",
            "tick_size",
            "expiry",
            "strike",
            "is_active",
        ]


class InstrumentListApi(ListAPIView):
    serializer_class = InstrumentOutputSerializer

    @extend_schema(
        operation_id="instruments_list",
        tags=["market data"],
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Symbol, name or token; best matches first."),
            OpenApiParameter("exchange", OpenApiTypes.STR, description="NSE, BSE, NFO, ..."),
            OpenApiParameter("type", OpenApiTypes.STR, description="EQ, AMXIDX, FUTSTK, OPTIDX, ..."),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        search = params.get("search", "")
        if len(search) > 64:
            raise InvalidInput("`search` is at most 64 characters.", field="search")
        return instrument_search(
            search=search.replace("\x00", ""),
            exchange=params.get("exchange", "")[:8],
            instrument_type=params.get("type", "")[:16],
        )


class WatchlistItemSerializer(serializers.Serializer):
    instrument = InstrumentOutputSerializer()
    position = serializers.IntegerField()
    added_at = serializers.DateTimeField()


class WatchlistApi(APIView):
    class InputSerializer(StrictSerializer):
        symbol = serializers.CharField(max_length=80, help_text="EXCHANGE:SYMBOL, e.g. NSE:SBIN-EQ")

    @extend_schema(
        operation_id="watchlist_list", tags=["watchlist"], responses={200: WatchlistItemSerializer(many=True)}
    )
    def get(self, request):
        return Response(WatchlistItemSerializer(watchlist_for_user(user=request.user), many=True).data)

    @extend_schema(
        operation_id="watchlist_add",
        tags=["watchlist"],
        request=InputSerializer,
        responses={201: WatchlistItemSerializer, 200: WatchlistItemSerializer},
        description="Add an instrument (200 if it was already there). At most 50 (`watchlist_full`).",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exchange, symbol = parse_symbol_key(data.validated_data["symbol"])
        instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        item, created = watchlist_add(user=request.user, instrument=instrument)
        return Response(
            WatchlistItemSerializer(item).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class WatchlistItemApi(APIView):
    @extend_schema(operation_id="watchlist_remove", tags=["watchlist"], responses={204: None})
    def delete(self, request, instrument_id: int):
        instrument = instrument_get(instrument_id=instrument_id)
        if not watchlist_remove(user=request.user, instrument_id=instrument.id):
            raise NotFound(f"{instrument.key} is not on your watchlist.", code="not_on_watchlist")
        return Response(status=status.HTTP_204_NO_CONTENT)
