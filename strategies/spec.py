"""What a backtest asks for, checked once for the API, the dashboard and the command line alike.

`spec_build` turns raw input into a `BacktestSpec` or raises a DomainError
naming the field: unknown strategy or parameter, a parameter out of range,
an unknown instrument, a period without candles, too many bars.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from core.errors import DomainError, RuleViolation
from core.inputs import InputRefused, ascii_text, date_bounded
from marketdata.intervals import INTERVALS
from marketdata.models import Candle, Instrument
from marketdata.selectors import instrument_get_by_key, parse_symbol_key
from strategies.errors import SpecInvalid, spec_decimal, spec_refused

from . import conf
from .base import Strategy
from .engine.costs import CostModel, IndiaCosts, cost_model_from
from .engine.sizing import Sizing, sizing_from
from .registry import strategy_get

IST = ZoneInfo("Asia/Kolkata")
MAX_CASH = Decimal("1e13")


@dataclass
class BacktestSpec:
    strategy: type[Strategy]
    params: dict
    instruments: list[Instrument]
    interval: str
    start: datetime
    end: datetime
    initial_cash: Decimal
    costs: CostModel
    sizing: Sizing
    slippage_ticks: int = 0
    bars: int = 0

    @property
    def symbols(self) -> list[str]:
        return [i.key for i in self.instruments]

    def stored(self) -> dict:
        """The spec as the Backtest/Sweep row keeps it."""
        return {
            "strategy": self.strategy.name,
            "params": self.params,
            "symbols": self.symbols,
            "interval": self.interval,
            "start": self.start,
            "end": self.end,
            "initial_cash": self.initial_cash,
            "costs": self.costs.describe(),
            "sizing": self.sizing.describe(),
            "slippage_ticks": self.slippage_ticks,
        }


def parse_moment(value, *, field: str, end: bool = False) -> datetime:
    """A date (IST midnight; as `end`, the end of that day) or an ISO date-time (naive means IST), in UTC."""
    message = f"`{field}` must be a date (2024-01-31) or an ISO date-time."
    try:
        moment = _moment(value, end=end)
    except InputRefused as exc:  # a date out of core.inputs' range, or digits other than 0-9
        raise spec_refused(exc, field=field, message=message) from None
    except ValueError:
        raise SpecInvalid(message, code="invalid_datetime", field=field) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=IST)).astimezone(UTC)


def _moment(value, *, end: bool) -> datetime:
    """The moment as given (naive or not), its date checked before a day is added or a zone applied: both
    overflow near year 1 and 9999."""
    if isinstance(value, datetime):
        return date_bounded(value)
    if isinstance(value, date):
        day = value
    else:
        text = ascii_text(str(value).strip())
        if len(text) != 10:
            return date_bounded(datetime.fromisoformat(text.replace("Z", "+00:00")))
        day = date.fromisoformat(text)
    return datetime.combine(date_bounded(day) + timedelta(days=1 if end else 0), time(0))


def instruments_resolve(symbols) -> list[Instrument]:
    if not isinstance(symbols, list) or not symbols:
        raise SpecInvalid('Give `symbols`: a list such as ["NSE:SBIN-EQ"].', field="symbols")
    if len(symbols) > conf.max_symbols():
        raise SpecInvalid(
            f"At most {conf.max_symbols()} instruments per backtest.", code="too_many_symbols", field="symbols"
        )
    keys = list(dict.fromkeys(str(s).strip() for s in symbols))
    out = []
    for key in keys:
        try:
            exchange, symbol = parse_symbol_key(key, field="symbols")
        except DomainError as exc:
            raise SpecInvalid(exc.message, code=exc.code, field="symbols") from exc
        try:
            out.append(instrument_get_by_key(exchange=exchange, symbol=symbol))
        except Exception as exc:
            raise SpecInvalid(f"No listed instrument {key}.", code="unknown_symbol", field="symbols") from exc
    return out


def _cash(value) -> Decimal:
    message = '`initial_cash` must be a positive decimal string, e.g. "1000000".'
    cash = spec_decimal(value, field="initial_cash", message=message)
    if cash <= 0 or cash >= MAX_CASH:
        raise SpecInvalid(message, field="initial_cash")
    return cash


def _check_products(costs: CostModel, instruments: list[Instrument]) -> None:
    if not isinstance(costs, IndiaCosts):
        return
    for instrument in instruments:
        allowed = ("MIS", "NRML") if instrument.is_derivative else ("CNC", "MIS")
        if costs.product not in allowed:
            raise SpecInvalid(
                f"costs.product {costs.product} does not apply to {instrument.key} (use {' or '.join(allowed)}).",
                code="product_not_allowed",
                field="costs.product",
            )


def bars_count(instruments: list[Instrument], interval: str, start: datetime, end: datetime) -> int:
    """Bars in the period, over all instruments; refuses an instrument with none there."""
    total = 0
    for instrument in instruments:
        candles = Candle.objects.filter(instrument=instrument, interval=interval)
        count = candles.filter(start__gte=start, start__lt=end).count()
        if not count:
            stored = candles.order_by("start").values_list("start", flat=True)
            first, last = stored.first(), stored.last()
            where = (
                f"stored from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
                if first
                else "none stored (import them with `manage.py load_candles`)"
            )
            raise RuleViolation(
                f"No {interval} candles for {instrument.key} in that period; {where}.",
                code="no_candles",
                field="start" if first else "symbols",
            )
        total += count
    return total


def spec_build(
    *, strategy, params=None, symbols, interval, start, end, initial_cash, costs=None, sizing=None, slippage_ticks=0
) -> BacktestSpec:
    cls = strategy_get(strategy)
    clean = cls.clean_params(params)
    instruments = instruments_resolve(symbols)
    if interval not in INTERVALS:
        raise SpecInvalid(
            f"`interval` must be one of {', '.join(INTERVALS)}.", code="invalid_interval", field="interval"
        )
    begin, finish = parse_moment(start, field="start"), parse_moment(end, field="end", end=True)
    if finish <= begin:
        raise SpecInvalid("`end` must be after `start`.", code="invalid_range", field="end")
    cost_model = cost_model_from(costs)
    _check_products(cost_model, instruments)
    if not isinstance(slippage_ticks, int) or isinstance(slippage_ticks, bool) or not 0 <= slippage_ticks <= 100:
        raise SpecInvalid("`slippage_ticks` must be a whole number from 0 to 100.", field="slippage_ticks")
    spec = BacktestSpec(cls, clean, instruments, interval, begin, finish, _cash(initial_cash), cost_model,
                        sizing_from(sizing), slippage_ticks)  # fmt: skip
    spec.bars = bars_count(instruments, interval, begin, finish)
    if spec.bars > conf.max_bars():
        raise RuleViolation(
            f"That asks for {spec.bars:,} bars; at most {conf.max_bars():,} per backtest. Shorten the period.",
            code="range_too_large",
            field="start",
        )
    return spec


def spec_from_row(row) -> BacktestSpec:
    """The spec a stored Backtest or Sweep was created with (already validated then)."""
    return BacktestSpec(
        strategy_get(row.strategy),
        row.params,
        instruments_resolve(row.symbols),
        row.interval,
        row.start,
        row.end,
        row.initial_cash,
        cost_model_from(row.costs),
        sizing_from(row.sizing),
        row.slippage_ticks,
    )
