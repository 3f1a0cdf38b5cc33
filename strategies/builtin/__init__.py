"""The built-in strategies, registered on import."""

from strategies.registry import register

from .bracket import TrendBracket
from .breakout import DonchianBreakout, OpeningRangeBreakout
from .rsi_reversion import RsiReversion
from .sma_crossover import SmaCrossover

for _cls in (SmaCrossover, RsiReversion, DonchianBreakout, OpeningRangeBreakout, TrendBracket):
    register(_cls)

__all__ = ["DonchianBreakout", "OpeningRangeBreakout", "RsiReversion", "SmaCrossover", "TrendBracket"]
