"""Incremental indicators against plain recomputation over the whole window."""

import itertools
import math
import random
from decimal import Decimal

import pytest

from strategies.indicators import EMA, RSI, SMA, Highest, Lowest, to_micro


@pytest.fixture
def prices():
    rng = random.Random(5)
    out, p = [], 500.0
    for _ in range(3000):
        p = round(max(1.0, p + rng.gauss(0, 4)) / 0.05) * 0.05
        out.append(round(p, 2))
    return out


def test_sma_is_the_exact_average_of_the_decimal_prices(prices):
    sma = SMA(20)
    for i, price in enumerate(prices):
        sma.update(to_micro(price))
        if i < 19:
            assert math.isnan(sma.value) and not sma.ready
        else:
            exact = sum(Decimal(repr(p)) for p in prices[i - 19 : i + 1]) / 20
            assert sma.value == float(exact)  # correctly rounded, not merely close


def test_two_averages_equal_in_decimal_are_equal_and_do_not_cross():
    fast, slow = SMA(2), SMA(4)
    for price in (100.1, 100.3, 100.2, 100.2):  # both average 100.2 on the last bar
        fast.update(to_micro(price))
        slow.update(to_micro(price))
    assert fast.value == slow.value
    assert not fast.crossed_above(slow) and not fast.crossed_below(slow)


def test_ema_seeds_with_the_sma_then_smooths(prices):
    ema = EMA(10)
    alpha = 2 / 11
    expected = None
    for i, price in enumerate(prices[:200]):
        ema.update(price)
        if i == 9:
            expected = sum(prices[:10]) / 10
        elif i > 9:
            expected += alpha * (price - expected)
        if expected is None:
            assert not ema.ready
        else:
            assert ema.value == pytest.approx(expected, rel=1e-12)


def test_rsi_is_wilders(prices):
    rsi = RSI(14)
    changes = [b - a for a, b in itertools.pairwise(prices)]
    gain = sum(max(c, 0) for c in changes[:14]) / 14
    loss = sum(max(-c, 0) for c in changes[:14]) / 14
    for i, price in enumerate(prices[:400]):
        rsi.update(price)
        if i < 14:
            assert not rsi.ready
            continue
        if i > 14:
            c = changes[i - 1]
            gain = (gain * 13 + max(c, 0)) / 14
            loss = (loss * 13 + max(-c, 0)) / 14
        assert rsi.value == pytest.approx(100 - 100 / (1 + gain / loss), rel=1e-9)
        assert 0 <= rsi.value <= 100


def test_highest_and_lowest_over_the_window_and_the_previous_bars(prices):
    high, low = Highest(30), Lowest(30)
    for i, price in enumerate(prices):
        high.update(price)
        low.update(price)
        if i >= 29:
            assert high.value == max(prices[i - 29 : i + 1]) and low.value == min(prices[i - 29 : i + 1])
        if i >= 30:
            assert high.prev == max(prices[i - 30 : i])  # the channel a breakout on bar i is measured against


def test_crossing_a_level():
    rsi_like = Highest(1)
    for value in (25.0, 35.0):
        rsi_like.update(value)
    assert rsi_like.crossed_above(30) and not rsi_like.crossed_below(30)


def test_bad_periods_are_refused():
    with pytest.raises(ValueError):
        SMA(0)
    with pytest.raises(ValueError):
        Highest(5, source="mid")
