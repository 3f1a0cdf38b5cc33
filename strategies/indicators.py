"""Indicators computed incrementally: each bar costs O(1), whatever the period.

The same objects serve backtests and live runs: the runner feeds every new
bar's value through `update()` as the bar completes, so an indicator can only
ever know the bars seen so far. `value` is the latest reading and `prev` the
one before; both are NaN until the indicator has enough bars (`ready`), and
since every comparison with NaN is false, a strategy that compares them does
nothing during the warm-up without having to check.

Prices are floats here (a strategy's arithmetic runs once per bar); orders
built from them are rounded to the instrument's tick and become Decimal.
"""

import math
from collections import deque

NAN = math.nan
SOURCES = ("open", "high", "low", "close", "volume")
MICRO = 1_000_000  # exact indicators take prices in millionths of a rupee


def to_micro(price) -> int:
    """A price (float or Decimal) in millionths, the unit exact indicators are fed in."""
    return round(price * MICRO)


class Indicator:
    __slots__ = ("count", "period", "prev", "source", "value")
    exact = False  # True: update() takes prices in millionths (ints), see to_micro

    def __init__(self, period: int, source: str = "close") -> None:
        if not isinstance(period, int) or isinstance(period, bool) or period < 1:
            raise ValueError(f"period must be a whole number >= 1, got {period!r}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
        self.period = period
        self.source = source
        self.value = NAN
        self.prev = NAN
        self.count = 0

    @property
    def ready(self) -> bool:
        return self.value == self.value  # NaN is the only value unequal to itself

    def update(self, x: float) -> None:
        raise NotImplementedError

    def crossed_above(self, other) -> bool:
        """True on the bar where this went from below `other` (an indicator or a number) to above it."""
        if isinstance(other, Indicator):
            return self.prev < other.prev and self.value > other.value
        return self.prev < other < self.value

    def crossed_below(self, other) -> bool:
        if isinstance(other, Indicator):
            return self.prev > other.prev and self.value < other.value
        return self.prev > other > self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.period}, {self.source}) = {self.value}"


class SMA(Indicator):
    """Simple moving average, exact: a ring buffer and a running sum of integers.

    It is fed prices in millionths (`to_micro`), the finest unit a Candle
    stores, so the sum is exact and `value` is the correctly rounded average
    of the decimal prices: two averages that are equal in decimal are equal
    here too, and a crossover never hinges on float rounding noise.
    """

    __slots__ = ("_buf", "_divisor", "_last", "_pos", "_sum")
    exact = True

    def __init__(self, period: int, source: str = "close") -> None:
        super().__init__(period, source)
        self._buf = [0] * period
        self._pos = 0
        self._last = period - 1
        self._sum = 0
        # NaN until the window is full: value = sum / NaN stays NaN without a branch per bar.
        self._divisor = NAN

    def update(self, x: int) -> None:
        pos = self._pos
        buf = self._buf
        total = self._sum + x - buf[pos]
        buf[pos] = x
        if pos == self._last:
            self._pos = 0
            self._divisor = self.period * MICRO
        else:
            self._pos = pos + 1
        self._sum = total
        self.prev = self.value
        self.value = total / self._divisor


class EMA(Indicator):
    """Exponential moving average, weight 2/(period+1), seeded with the SMA of the first `period` values."""

    __slots__ = ("_alpha", "_seed")

    def __init__(self, period: int, source: str = "close") -> None:
        super().__init__(period, source)
        self._alpha = 2.0 / (period + 1)
        self._seed = 0.0

    def update(self, x: float) -> None:
        self.prev = self.value
        count = self.count = self.count + 1
        if count > self.period:
            self.value += self._alpha * (x - self.value)
        else:
            self._seed += x
            if count == self.period:
                self.value = self._seed / self.period


class RSI(Indicator):
    """Wilder's relative strength index (0-100): averages of gains and losses smoothed over `period` changes."""

    __slots__ = ("_gain", "_last", "_loss")

    def __init__(self, period: int = 14, source: str = "close") -> None:
        super().__init__(period, source)
        self._last = NAN
        self._gain = 0.0
        self._loss = 0.0

    def update(self, x: float) -> None:
        self.prev = self.value
        count = self.count = self.count + 1
        last, self._last = self._last, x
        if count == 1:
            return
        change = x - last
        gain = change if change > 0 else 0.0
        loss = -change if change < 0 else 0.0
        n = self.period
        if count <= n + 1:  # the first `period` changes: plain averages
            self._gain += gain / n
            self._loss += loss / n
            if count < n + 1:
                return
        else:
            self._gain = (self._gain * (n - 1) + gain) / n
            self._loss = (self._loss * (n - 1) + loss) / n
        self.value = 100.0 if self._loss == 0 else 100.0 - 100.0 / (1.0 + self._gain / self._loss)


class _Extreme(Indicator):
    """The highest (or lowest) of the last `period` values, with a monotonic queue: O(1) amortised."""

    __slots__ = ("_queue",)
    _better = staticmethod(lambda a, b: a >= b)

    def __init__(self, period: int, source: str) -> None:
        super().__init__(period, source)
        self._queue: deque[tuple[int, float]] = deque()

    def update(self, x: float) -> None:
        self.prev = self.value
        count = self.count = self.count + 1
        queue = self._queue
        better = self._better
        while queue and better(x, queue[-1][1]):
            queue.pop()
        queue.append((count, x))
        if queue[0][0] <= count - self.period:
            queue.popleft()
        if count >= self.period:
            self.value = queue[0][1]


class Highest(_Extreme):
    __slots__ = ()

    def __init__(self, period: int, source: str = "high") -> None:
        super().__init__(period, source)


class Lowest(_Extreme):
    __slots__ = ()
    _better = staticmethod(lambda a, b: a <= b)

    def __init__(self, period: int, source: str = "low") -> None:
        super().__init__(period, source)


INDICATORS = {"sma": SMA, "ema": EMA, "rsi": RSI, "highest": Highest, "lowest": Lowest}
