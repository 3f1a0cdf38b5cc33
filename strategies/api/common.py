"""Input fields and JSON shapes shared by the backtest and sweep endpoints."""

from datetime import UTC, datetime

from rest_framework import serializers

from core.api import DecimalInputField, IntegerInputField, StrictSerializer, iso_utc
from marketdata.intervals import INTERVALS


class RunInput(StrictSerializer):
    """What a backtest (and a sweep) runs on. Semantic checks happen in strategies.spec."""

    # Text is taken as sent (no trimming): the spec check says what is wrong with it (422).
    strategy = serializers.CharField(
        max_length=64, trim_whitespace=False, help_text="A name from GET /api/v1/strategies/."
    )
    params = serializers.DictField(required=False, default=dict, help_text="Parameter name -> value.")
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=80, trim_whitespace=False),
        min_length=1,
        help_text='EXCHANGE:SYMBOL or a symbol listed once, e.g. ["NSE:SBIN-EQ"] or ["SBIN"] (422 '
        "`ambiguous_symbol` when several exchanges list it).",
    )
    interval = serializers.ChoiceField(choices=INTERVALS)
    start = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        trim_whitespace=False,
        help_text="Date (IST) or ISO date-time, e.g. 2020-01-01. Default: the first stored candle.",
    )
    end = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        trim_whitespace=False,
        help_text="Date (IST, inclusive) or ISO date-time (exclusive). Default: the last stored candle.",
    )
    initial_cash = DecimalInputField(help_text='Rupees, e.g. "1000000".')
    costs = serializers.DictField(
        required=False,
        default=dict,
        help_text='{"model": "none"} | {"model": "flat", "per_order": "20", "percent": "0.03"} | '
        '{"model": "india", "product": "CNC"|"MIS"|"NRML", ...rate overrides}',
    )
    sizing = serializers.DictField(
        required=False,
        default=dict,
        help_text='{"mode": "percent_equity"|"fixed_quantity"|"fixed_value", "value": 100}',
    )
    slippage_ticks = IntegerInputField(required=False, default=0, min_value=0, max_value=100)
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class LabelInput(StrictSerializer):
    """PATCH body of a backtest or a sweep: only the label changes."""

    min_fields = 1
    label = serializers.CharField(max_length=120, allow_blank=True)


class TradeSerializer(serializers.Serializer):
    symbol = serializers.CharField()
    # Text, not an enum: the schema has an order `side` (BUY/SELL) already, and one name per enum.
    side = serializers.CharField(help_text="LONG or SHORT")
    quantity = serializers.IntegerField()
    entry_time = serializers.DateTimeField()
    entry_price = serializers.DecimalField(max_digits=18, decimal_places=6)
    exit_time = serializers.DateTimeField(allow_null=True)
    exit_price = serializers.DecimalField(max_digits=18, decimal_places=6, allow_null=True)
    pnl = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="Net of charges.")
    return_pct = serializers.FloatField(allow_null=True)
    charges = serializers.DecimalField(max_digits=20, decimal_places=2)
    bars_held = serializers.IntegerField(allow_null=True)


class EquityPointSerializer(serializers.Serializer):
    time = serializers.DateTimeField()
    equity = serializers.DecimalField(max_digits=20, decimal_places=2)
    drawdown = serializers.FloatField(help_text="Percent below the running peak (0 or negative).")


def iso(epoch: int | None) -> str | None:
    return None if epoch is None else iso_utc(datetime.fromtimestamp(epoch, tz=UTC))


def equity_rows(columns: dict | None) -> list[dict]:
    if not columns:
        return []
    return [
        {"time": iso(t), "equity": e, "drawdown": d}
        for t, e, d in zip(columns["time"], columns["equity"], columns["drawdown"], strict=True)
    ]


def inputs_json(row) -> dict:
    return {
        "strategy": row.strategy,
        "params": row.params,
        "symbols": row.symbols,
        "interval": row.interval,
        "start": iso_utc(row.start),
        "end": iso_utc(row.end),
        "initial_cash": f"{row.initial_cash:.2f}",
        "costs": row.costs,
        "sizing": row.sizing,
        "slippage_ticks": row.slippage_ticks,
    }
