"""The same strategies written for backtesting.py, the library our backtester is checked against.

Both sides compute a simple moving average exactly (integer millionths, one
rounding), as our SMA indicator does: pandas' rolling mean, the idiomatic
choice in backtesting.py, resolves two averages that are exactly equal in
decimal by float rounding noise, which on cent-priced data flips a few
crossovers in a thousand either way.
"""

import warnings

import numpy as np
import pandas as pd
from backtesting import Backtest
from backtesting import Strategy as ReferenceStrategy
from backtesting.lib import crossover


def exact_sma(values, n: int) -> np.ndarray:
    micro = np.rint(np.asarray(values, dtype=float) * 1e6).astype(np.int64)
    sums = np.concatenate([[0], np.cumsum(micro)])
    out = np.full(len(micro), np.nan)
    out[n - 1 :] = (sums[n:] - sums[:-n]) / (n * 1_000_000)
    return out


class SmaCross(ReferenceStrategy):
    fast = 10
    slow = 20

    def init(self):
        self.fast_ma = self.I(exact_sma, self.data.Close, self.fast)
        self.slow_ma = self.I(exact_sma, self.data.Close, self.slow)

    def next(self):
        if crossover(self.fast_ma, self.slow_ma):
            self.buy()
        elif crossover(self.slow_ma, self.fast_ma):
            self.position.close()


class Donchian(ReferenceStrategy):
    entry = 20
    exit = 10

    def init(self):
        high, low = pd.Series(self.data.High), pd.Series(self.data.Low)
        # Channels including the current bar, read one bar back ([-2]): the channel of the bars before it.
        self.upper = self.I(lambda: high.rolling(self.entry).max().to_numpy())
        self.exit_low = self.I(lambda: low.rolling(self.exit).min().to_numpy())

    def next(self):
        close = self.data.Close[-1]
        if self.position.is_long:
            if close < self.exit_low[-2]:
                self.position.close()
        elif close > self.upper[-2]:
            self.buy()


def run_reference(frame: pd.DataFrame, strategy, cash: float, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(frame, strategy, cash=cash).run(**params)
