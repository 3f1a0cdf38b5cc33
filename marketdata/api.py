"""Market data under /api/v1/: one APIView per operation, nested Filter/Input/Output serializers."""

import time

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.api import CommaSeparatedListField, DateTimeInputField, PriceField, StrictSerializer, validated
from core.clock import IST
from core.errors import NotFound
from core.schema import ERRORS

from . import quotes as quote_cache
from .intervals import INTERVALS, interval_delta
from .models import Exchange, Instrument
from .selectors import (
    SYMBOL_KEY_PATTERN,
    candles_list,
    instrument_get,
    instrument_get_by_key,
    instrument_refs_resolve,
    instrument_search,
    instruments_with_ltp,
    parse_symbol_key,
    watchlist_for_user,
)
from .services import instruments_interest_note, watchlist_add, watchlist_remove

MAX_QUOTE_SYMBOLS = 50


@extend_schema_field({"type": "string", "pattern": SYMBOL_KEY_PATTERN, "example": "NSE:SBIN-EQ"})
class SymbolKeyField(serializers.Field):
    """EXCHANGE:SYMBOL in, the (exchange, symbol) pair out; a malformed key is `invalid_symbol`."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("help_text", "EXCHANGE:SYMBOL, e.g. NSE:SBIN-EQ.")
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> tuple[str, str]:
        field = self.field_name or getattr(self.parent, "field_name", "") or "symbol"  # a list's child: the list's
        return parse_symbol_key(str(data)[:200], field=field)

    def to_representation(self, value) -> str:
        return f"{value[0]}:{value[1]}"


class QueryDateTimeField(DateTimeInputField):
    """A date-time from the query string; naive means IST, and an unencoded `+05:30` (read as ` 05:30`) is
    understood as meant."""

    def __init__(self, **kwargs) -> None:
        super().__init__(default_timezone=IST, **kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str) and "T" in value and " " in value.strip():
            value = value.strip().replace(" ", "+")
        return super().to_internal_value(value)


class QuoteOutputSerializer(serializers.Serializer):
    exchange = serializers.CharField()
    symbol = serializers.CharField()
    ltp = PriceField(instrument="", allow_null=True)
    bid = PriceField(instrument="", allow_null=True)
    ask = PriceField(instrument="", allow_null=True)
    open = PriceField(instrument="", allow_null=True)
    high = PriceField(instrument="", allow_null=True)
    low = PriceField(instrument="", allow_null=True)
    close = PriceField(instrument="", allow_null=True, help_text="Previous session's close.")
    change = PriceField(instrument="", allow_null=True)
    change_percent = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    volume = serializers.IntegerField()
    timestamp = serializers.DateTimeField(allow_null=True, help_text="Time of the last tick (UTC).")
    age_ms = serializers.IntegerField(allow_null=True, help_text="Milliseconds since the last tick.")
    stale = serializers.BooleanField(
        help_text="True when there is no tick yet, or the last is older than QUOTES_STALE_AFTER_SECONDS."
    )


class QuotesApi(APIView):
    class FilterSerializer(serializers.Serializer):
        symbols = CommaSeparatedListField(
            child=SymbolKeyField(),
            min_length=1,
            max_length=MAX_QUOTE_SYMBOLS,
            too_many_code="too_many_symbols",
            help_text=f"EXCHANGE:SYMBOL, comma-separated or repeated; at most {MAX_QUOTE_SYMBOLS}.",
        )

    class OutputSerializer(serializers.Serializer):
        quotes = QuoteOutputSerializer(many=True)
        unknown = serializers.ListField(child=serializers.CharField(), help_text="Symbols with no listed instrument.")

    @extend_schema(
        operation_id="quotes_list",
        tags=["market data"],
        parameters=[FilterSerializer],
        responses={200: OutputSerializer},
        description="Latest quotes from the two-level cache. Stale quotes are served, flagged `stale`; "
        f"more than {MAX_QUOTE_SYMBOLS} symbols is `too_many_symbols`.",
    )
    def get(self, request):
        query = validated(self.FilterSerializer, request.query_params)
        pairs = list(dict.fromkeys(query["symbols"]))
        refs = instrument_refs_resolve(pairs)
        instruments_interest_note(instrument_ids=[ref.id for ref in refs.values()])
        found, _ = quote_cache.quotes_get([ref.id for ref in refs.values()])
        now = time.time()
        views = [
            quote_cache.QuoteView(ref.exchange, ref.symbol, ref.price_places, found.get(ref.id), now)
            for ref in (refs[pair] for pair in pairs if pair in refs)
        ]
        unknown = [f"{exchange}:{symbol}" for exchange, symbol in pairs if (exchange, symbol) not in refs]
        return Response(self.OutputSerializer({"quotes": views, "unknown": unknown}).data)


class CandleOutputSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Bucket start (UTC).")
    open = PriceField()
    high = PriceField()
    low = PriceField()
    close = PriceField()
    volume = serializers.IntegerField()


class CandlesApi(APIView):
    class FilterSerializer(serializers.Serializer):
        symbol = SymbolKeyField()
        interval = serializers.ChoiceField(choices=list(INTERVALS))
        start = QueryDateTimeField(required=False, help_text="Default: 300 intervals before `end`. Naive = IST.")
        end = QueryDateTimeField(required=False, help_text="Exclusive. Default: now. Naive = IST.")

    class OutputSerializer(serializers.Serializer):
        exchange = serializers.CharField()
        symbol = serializers.CharField()
        interval = serializers.ChoiceField(choices=list(INTERVALS))
        candles = CandleOutputSerializer(many=True)

    @extend_schema(
        operation_id="candles_list",
        tags=["market data"],
        parameters=[FilterSerializer],
        responses={200: OutputSerializer, 404: ERRORS[404], 422: ERRORS[422]},
        description="OHLCV rows in time order, the forming candle included; prices are decimal strings. "
        "At most 5000 candles per request (422 `range_too_large`); `end` after `start` (422 `invalid_range`).",
    )
    def get(self, request):
        codes = {"interval": "invalid_interval", "start": "invalid_datetime", "end": "invalid_datetime"}
        query = validated(self.FilterSerializer, request.query_params, codes=codes)
        (exchange, symbol), interval = query["symbol"], query["interval"]
        end = query.get("end") or clock.now() + interval_delta(interval)
        start = query.get("start") or end - 300 * interval_delta(interval)
        instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        candles = list(candles_list(instrument=instrument, interval=interval, start=start, end=end))
        for candle in candles:
            candle.instrument = instrument  # one instrument for all: no join, no query per row
        body = {"exchange": exchange, "symbol": symbol, "interval": interval, "candles": candles}
        return Response(self.OutputSerializer(body).data)


class InstrumentOutputSerializer(serializers.ModelSerializer):
    tick_size = serializers.DecimalField(max_digits=12, decimal_places=4)
    strike = PriceField(instrument="", allow_null=True)
    display_name = serializers.CharField(
        read_only=True, help_text="As traders write it: SBIN, NIFTY 29 DEC FUT, NIFTY 29 DEC 26000 CE."
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "exchange",
            "symbol",
            "display_name",
            "token",
            "name",
            "company_name",
            "instrument_type",
            "lot_size",
            "tick_size",
            "expiry",
            "strike",
            "is_active",
        ]


class InstrumentSearchOutputSerializer(InstrumentOutputSerializer):
    ltp = PriceField(instrument="", allow_null=True, help_text="Last traded price; null before any.")

    class Meta(InstrumentOutputSerializer.Meta):
        fields = [*InstrumentOutputSerializer.Meta.fields, "ltp"]


class InstrumentListApi(ListAPIView):
    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(
            required=False,
            max_length=64,
            allow_blank=True,
            help_text="Words in any order: symbol, underlying, company, strike, CE/PE, FUT, expiry day or month, "
            "token (`nifty 26000 ce`, `banknifty fut`, `state bank`). Every word must match; best matches first.",
        )
        exchange = serializers.ChoiceField(choices=Exchange.choices, required=False)
        type = serializers.CharField(
            required=False, allow_blank=True, max_length=16, help_text="EQ, AMXIDX, FUTSTK, OPTIDX, ..."
        )

    serializer_class = InstrumentSearchOutputSerializer

    @extend_schema(operation_id="instruments_list", tags=["market data"], parameters=[FilterSerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = validated(self.FilterSerializer, self.request.query_params)
        return instrument_search(
            search=query.get("search", ""), exchange=query.get("exchange", ""), instrument_type=query.get("type", "")
        )

    def paginate_queryset(self, queryset):
        """The page's instruments with their LTP (one cache read for the page)."""
        return instruments_with_ltp(super().paginate_queryset(queryset))


class WatchlistItemOutputSerializer(serializers.Serializer):
    instrument = InstrumentOutputSerializer()
    position = serializers.IntegerField()
    added_at = serializers.DateTimeField()


class WatchlistListApi(ListAPIView):
    serializer_class = WatchlistItemOutputSerializer

    @extend_schema(operation_id="watchlist_list", tags=["watchlist"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return watchlist_for_user(user=self.request.user)


class WatchlistAddApi(APIView):
    class InputSerializer(StrictSerializer):
        symbol = SymbolKeyField()

    @extend_schema(
        operation_id="watchlist_add",
        tags=["watchlist"],
        request=InputSerializer,
        responses={
            201: WatchlistItemOutputSerializer,
            200: WatchlistItemOutputSerializer,
            404: ERRORS[404],
            409: ERRORS[409],
        },
        description="Add an instrument (200 if it was already there). At most 50 (409 `watchlist_full`).",
    )
    def post(self, request):
        exchange, symbol = validated(self.InputSerializer, request.data)["symbol"]
        instrument = instrument_get_by_key(exchange=exchange, symbol=symbol)
        item, created = watchlist_add(user=request.user, instrument=instrument)
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(WatchlistItemOutputSerializer(item).data, status=answer)


class WatchlistRemoveApi(APIView):
    @extend_schema(operation_id="watchlist_remove", tags=["watchlist"], responses={204: None, 404: ERRORS[404]})
    def delete(self, request, instrument_id: int):
        instrument = instrument_get(instrument_id=instrument_id)
        if not watchlist_remove(user=request.user, instrument_id=instrument.id):
            raise NotFound(f"{instrument.key} is not on your watchlist.", code="not_on_watchlist")
        return Response(status=status.HTTP_204_NO_CONTENT)
