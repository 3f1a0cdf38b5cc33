"""How many closed bars a live run replays on loading is the strategy's to say, from its parameters."""

import pytest

from strategies.base import Strategy
from strategies.builtin.bracket import TrendBracket
from strategies.builtin.breakout import DonchianBreakout, OpeningRangeBreakout
from strategies.builtin.rsi_reversion import RsiReversion
from strategies.builtin.sma_crossover import SmaCrossover
from strategies.live.runner import StrategyRunner
from strategies.params import IntParam
from strategies.registry import _registry
from strategies.services import runs as run_services
from tests.orders.conftest import market, trader  # noqa: F401 - fixtures
from tests.strategies.runs_helpers import market_clock  # noqa: F401


def test_default_parameters_replay_the_floor():
    for cls in (SmaCrossover, TrendBracket, DonchianBreakout, RsiReversion, OpeningRangeBreakout):
        assert cls(None).warmup_bars() == 500


def test_a_lookback_longer_than_the_floor_replays_enough_to_fill_it_and_the_bar_before():
    assert SmaCrossover(None, fast=50, slow=2000).warmup_bars() == 2001
    assert TrendBracket(None, period=900).warmup_bars() == 901
    assert DonchianBreakout(None, entry=600, exit=700).warmup_bars() == 701


class CountsWarmUpBars(Strategy):
    """Replays at least 3 bars, more when its lookback is longer; counts the bars it hears."""

    name = "test_counts_warm_up_bars"
    title = "Test: counts warm-up bars"
    warmup_floor = 3
    lookback = IntParam(0, min=0, max=100)

    def lookback_bars(self):
        return self.lookback

    def on_start(self):
        self.bars = 0

    def on_bar(self, bar):
        self.bars += 1


@pytest.mark.django_db
@pytest.mark.parametrize(("lookback", "replayed"), [(0, 3), (6, 7)])
def test_a_loaded_run_replays_as_many_closed_bars_as_its_strategy_asks(
    trader,  # noqa: F811
    market,  # noqa: F811
    market_clock,  # noqa: F811
    lookback,
    replayed,
):
    _registry[CountsWarmUpBars.name] = CountsWarmUpBars
    try:
        for k in range(-10, 0):
            market_clock.bar(market["SBIN-EQ"], k)
        run = run_services.run_create(
            user=trader,
            strategy=CountsWarmUpBars.name,
            params={"lookback": lookback},
            symbols=["NSE:SBIN-EQ"],
            interval="1m",
        )
        runner = StrategyRunner()
        runner.step()
        (ctx,) = runner.loaded[run.id].contexts.values()
        assert ctx.strategy.bars == replayed
    finally:
        _registry.pop(CountsWarmUpBars.name, None)
