"""`manage.py backtest` prints the report (and a progress line on stderr)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from strategies.models import Backtest
from tests.strategies.factories import instrument_with_candles

pytestmark = pytest.mark.django_db


def backtest(*args):
    out, err = StringIO(), StringIO()
    call_command("backtest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_prints_the_report_with_progress():
    instrument_with_candles("SBIN-EQ", count=250)
    out, err = backtest(
        "sma_crossover",
        "--symbols",
        "NSE:SBIN-EQ",
        "--interval",
        "1d",
        "--params",
        "fast=5",
        "slow=20",
        "--costs",
        "india:CNC",
        "--cash",
        "500000",
    )
    assert "SMA crossover (fast=5 slow=20 allow_short=False) on NSE:SBIN-EQ 1d" in out
    assert "250 bars" in out
    for title in ("Final equity", "Sharpe", "Max drawdown", "Win rate", "Total charges", "Trades (first"):
        assert title in out
    assert "backtest" in err and "100.0%" in err and "250/250" in err
    assert Backtest.objects.count() == 0  # the command runs in-process, nothing stored


def test_bad_input_is_a_clear_error():
    instrument_with_candles("SBIN-EQ", count=50)
    with pytest.raises(CommandError, match=r"Fast must be from 1 to 1000, not 0. \[param_out_of_range\]"):
        backtest("sma_crossover", "--symbols", "NSE:SBIN-EQ", "--params", "fast=0")
    with pytest.raises(CommandError, match="unknown_strategy"):
        backtest("nope", "--symbols", "NSE:SBIN-EQ")
    with pytest.raises(CommandError, match="no 1h candles stored"):
        backtest("sma_crossover", "--symbols", "NSE:SBIN-EQ", "--interval", "1h")
    with pytest.raises(CommandError, match="name=value"):
        backtest("sma_crossover", "--symbols", "NSE:SBIN-EQ", "--params", "fast")
