"""What a backtest asks for, checked once for the API, the dashboard and the command line alike.

`spec_build` turns raw input into a `BacktestSpec` or raises a DomainError
naming the field: unknown strategy or parameter, a parameter out of range,
an unknown instrument, a period without candles, too many bars.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from core.clock import IST
from core.errors import DomainError, RuleViolation
from core.inputs import InputRefused, ascii_text, date_bounded
from marketdata.intervals import INTERVALS, interval_delta
from marketdata.models import Candle, Instrument
from marketdata.selectors import candles_stored_range, instrument_resolve
from strategies.errors import SpecInvalid, spec_decimal, spec_refused

from . import conf
from .base import Strategy
from .engine.costs import CostModel, IndiaCosts, cost_model_from
from .engine.sizing import Sizing, sizing_from
from .registry import strategy_get

MAX_CASH = Decimal("1e13")
# How messages name an interval's candles ("No daily candles for SBIN ...").
CANDLE_WORDS = {"1m": "minute", "5m": "5-minute", "15m": "15-minute", "1h": "hourly", "1d": "daily"}
DATE_WORDS = {"start": "start date", "end": "end date"}


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
    message = f"The {DATE_WORDS.get(field, field)} must be a date like 2024-01-31."
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
    """Instruments as traders write them: NSE:SBIN-EQ, SBIN or sbin; each once."""
    if not isinstance(symbols, list) or not [s for s in symbols if str(s).strip()]:
        raise SpecInvalid("Choose at least one instrument, e.g. SBIN or NSE:SBIN-EQ.", field="symbols")
    if len(symbols) > conf.max_symbols():
        raise SpecInvalid(
            f"At most {conf.max_symbols()} instruments per backtest.", code="too_many_symbols", field="symbols"
        )
    out: dict[int, Instrument] = {}
    for text in symbols:
        try:
            instrument = instrument_resolve(text=str(text), field="symbols")
        except DomainError as exc:
            raise SpecInvalid(exc.message, code=exc.code, field="symbols") from exc
        out.setdefault(instrument.id, instrument)
    return list(out.values())


def _cash(value) -> Decimal:
    message = "Starting cash must be a positive amount, e.g. 1000000."
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
                f"The {costs.product} product does not apply to {instrument.display_name} "
                f"(use {' or '.join(allowed)}).",
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
                f"in that period; they are stored from {_ist_day(first)} to {_ist_day(last)}"
                if first
                else "stored: choose another interval or instrument"
            )
            raise RuleViolation(
                f"No {CANDLE_WORDS.get(interval, interval)} candles for {instrument.display_name} {where}.",
                code="no_candles",
                field="start" if first else "symbols",
            )
        total += count
    return total


def _ist_day(moment: datetime) -> str:
    return f"{moment.astimezone(IST):%Y-%m-%d}"


def period(start, end, instruments: list[Instrument], interval: str) -> tuple[datetime, datetime]:
    """The period asked for; an empty start or end means from the first or to the last stored candle."""
    stored = None
    if start in (None, "") or end in (None, ""):
        stored = candles_stored_range(interval=interval, instruments=instruments)
        if stored is None:
            names = ", ".join(i.display_name for i in instruments)
            raise RuleViolation(
                f"No {CANDLE_WORDS.get(interval, interval)} candles are stored for {names}.",
                code="no_candles",
                field="symbols",
            )
    begin = stored[0] if start in (None, "") else parse_moment(start, field="start")
    finish = stored[1] + interval_delta(interval) if end in (None, "") else parse_moment(end, field="end", end=True)
    if finish <= begin:
        raise SpecInvalid("The end date must be after the start date.", code="invalid_range", field="end")
    return begin, finish


def spec_build(
    *,
    strategy,
    params=None,
    symbols,
    interval,
    start=None,
    end=None,
    initial_cash,
    costs=None,
    sizing=None,
    slippage_ticks=0,
) -> BacktestSpec:
    cls = strategy_get(strategy)
    clean = cls.clean_params(params)
    instruments = instruments_resolve(symbols)
    if interval not in INTERVALS:
        raise SpecInvalid(f"Choose an interval: {', '.join(INTERVALS)}.", code="invalid_interval", field="interval")
    begin, finish = period(start, end, instruments, interval)
    cost_model = cost_model_from(costs)
    _check_products(cost_model, instruments)
    if not isinstance(slippage_ticks, int) or isinstance(slippage_ticks, bool) or not 0 <= slippage_ticks <= 100:
        raise SpecInvalid("Slippage must be a whole number of ticks from 0 to 100.", field="slippage_ticks")
    spec = BacktestSpec(
        cls,
        clean,
        instruments,
        interval,
        begin,
        finish,
        _cash(initial_cash),
        cost_model,
        sizing_from(sizing),
        slippage_ticks,
    )
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
