"""Bars as the backtester holds them: one numpy array per field, per instrument.

Prices are float64 inside the loop (a strategy's arithmetic runs on every
bar); whenever money changes hands the price is turned back into the exact
Decimal it came from (`exact`), which is lossless for prices of up to 15
significant digits, i.e. every price a Candle can hold below 10^9 rupees.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np

FIELDS = ("open", "high", "low", "close", "volume")


def exact(price: float) -> Decimal:
    """The decimal a float price was read from: its shortest repr round-trips exactly."""
    return Decimal(repr(price))


def segment_of(instrument_type: str) -> str:
    if instrument_type.startswith("FUT"):
        return "futures"
    if instrument_type.startswith("OPT"):
        return "options"
    return "equity"


@dataclass
class Series:
    """One instrument's bars in time order. `times` are the bars' opening times, epoch seconds (UTC)."""

    symbol: str
    times: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    lot_size: int = 1
    tick_size: Decimal | None = None
    segment: str = "equity"

    def __post_init__(self) -> None:
        self.times = np.asarray(self.times, dtype=np.int64)
        for name in FIELDS:
            setattr(self, name, np.ascontiguousarray(getattr(self, name), dtype=np.float64))
        n = len(self.times)
        if any(len(getattr(self, name)) != n for name in FIELDS):
            raise ValueError(f"{self.symbol}: every field needs {n} values")
        if n > 1 and not bool(np.all(np.diff(self.times) > 0)):
            raise ValueError(f"{self.symbol}: bar times must be strictly increasing")

    def __len__(self) -> int:
        return len(self.times)

    def time_at(self, index: int) -> datetime:
        return datetime.fromtimestamp(int(self.times[index]), tz=UTC)

    def window(self, start: int, end: int) -> "Series":
        """Bars with start <= time < end (epoch seconds), sharing memory with this series."""
        lo, hi = np.searchsorted(self.times, [start, end])
        return Series(
            self.symbol,
            self.times[lo:hi],
            self.open[lo:hi],
            self.high[lo:hi],
            self.low[lo:hi],
            self.close[lo:hi],
            self.volume[lo:hi],
            self.lot_size,
            self.tick_size,
            self.segment,
        )


def series_from_frame(frame, symbol: str, *, lot_size: int = 1, tick_size: Decimal | None = None) -> Series:
    """A pandas DataFrame with Open/High/Low/Close(/Volume) columns and a DatetimeIndex (naive means UTC)."""
    import pandas as pd

    index = pd.DatetimeIndex(frame.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    columns = {c.lower(): c for c in frame.columns}
    volume = frame[columns["volume"]].to_numpy() if "volume" in columns else np.zeros(len(frame))
    return Series(
        symbol,
        index.asi8 // 10**9 if index.unit == "ns" else index.as_unit("s").asi8,
        frame[columns["open"]].to_numpy(),
        frame[columns["high"]].to_numpy(),
        frame[columns["low"]].to_numpy(),
        frame[columns["close"]].to_numpy(),
        np.nan_to_num(volume.astype(np.float64)),
        lot_size,
        tick_size,
    )
