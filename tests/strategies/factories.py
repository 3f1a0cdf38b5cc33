"""Test data for strategies: instruments with stored candles (a seeded random walk on the tick)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from marketdata.models import Candle
from tests.marketdata.factories import InstrumentFactory

IST_MIDNIGHT = timedelta(hours=-5, minutes=-30)
STEP = {
    "1d": timedelta(days=1),
    "1h": timedelta(hours=1),
    "15m": timedelta(minutes=15),
    "5m": timedelta(minutes=5),
    "1m": timedelta(minutes=1),
}


def daily_start(day: str) -> datetime:
    """IST midnight of an ISO date, in UTC (how daily candles are stamped)."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + IST_MIDNIGHT


def candles_create(
    instrument,
    *,
    count: int,
    interval: str = "1d",
    first: datetime | None = None,
    seed: int = 1,
    start_price: float = 500.0,
) -> list[Candle]:
    rng = np.random.default_rng(seed)
    first = first or daily_start("2023-01-02")
    tick = float(instrument.tick_size)
    close = np.maximum(start_price + np.cumsum(rng.normal(0, start_price * 0.012, count)), 10)
    close = np.round(close / tick) * tick
    open_ = np.round((np.r_[close[0], close[:-1]] + rng.normal(0, start_price * 0.004, count)) / tick) * tick
    high = np.maximum(open_, close) + np.round(np.abs(rng.normal(0, start_price * 0.006, count)) / tick) * tick
    low = np.minimum(open_, close) - np.round(np.abs(rng.normal(0, start_price * 0.006, count)) / tick) * tick
    rows = [
        Candle(
            instrument=instrument,
            interval=interval,
            start=first + STEP[interval] * i,
            open=_d(open_[i]),
            high=_d(high[i]),
            low=_d(low[i]),
            close=_d(close[i]),
            volume=1000 + i,
        )
        for i in range(count)
    ]
    return Candle.objects.bulk_create(rows)


def _d(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def instrument_with_candles(symbol: str = "SBIN-EQ", count: int = 300, **kwargs):
    instrument = InstrumentFactory(symbol=symbol, tick_size=Decimal("0.05"))
    candles_create(instrument, count=count, **kwargs)
    return instrument


# A backtest as the API takes it (POST /api/v1/backtests/) and as the dashboard's form posts it.
BACKTEST_BODY = {
    "strategy": "sma_crossover",
    "params": {"fast": 5, "slow": 20},
    "symbols": ["NSE:SBIN-EQ"],
    "interval": "1d",
    "start": "2023-01-01",
    "end": "2023-12-31",
    "initial_cash": "1000000",
    "costs": {"model": "india", "product": "CNC"},
    "sizing": {"mode": "percent_equity", "value": 100},
}
BACKTEST_FORM = {
    "strategy": "sma_crossover",
    "symbols": "NSE:SBIN-EQ",
    "interval": "1d",
    "start": "2023-01-01",
    "end": "2023-12-31",
    "initial_cash": "1000000",
    "costs.model": "india",
    "costs.product": "CNC",
    "costs.per_order": "20",
    "sizing.mode": "percent_equity",
    "sizing.value": "100",
    "slippage_ticks": "0",
    "params.fast": "5",
    "params.slow": "20",
    "params.allow_short": "false",
    "label": "",
}
