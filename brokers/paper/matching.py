"""The paper exchange's matching rules, as pure functions of an order and a price.

- MARKET buys fill at the ask (sells at the bid), falling back to the last
  price, plus the configured slippage, rounded to the tick against the trader.
- LIMIT orders fill at once if marketable (at the better of limit and
  ask/bid), otherwise at the limit when the last price crosses it.
- SL orders trigger when the last price crosses the trigger and then behave
  as LIMIT; SL-M orders trigger and fill as MARKET.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

BUY = "BUY"


@dataclass(frozen=True, slots=True)
class Market:
    ltp: Decimal
    bid: Decimal | None = None
    ask: Decimal | None = None


def market_fill_price(side: str, market: Market, tick: Decimal, slippage_bps: Decimal) -> Decimal:
    if side == BUY:
        base = market.ask or market.ltp
        raw = base * (1 + slippage_bps / 10_000)
        return _to_tick(raw, tick, ROUND_CEILING)
    base = market.bid or market.ltp
    raw = base * (1 - slippage_bps / 10_000)
    return max(tick, _to_tick(raw, tick, ROUND_FLOOR))


def marketable_limit_price(side: str, limit: Decimal, market: Market) -> Decimal | None:
    """The fill price if a limit order can trade right now, else None."""
    if side == BUY:
        touch = market.ask or market.ltp
        return min(limit, touch) if touch <= limit else None
    touch = market.bid or market.ltp
    return max(limit, touch) if touch >= limit else None


def limit_crossed(side: str, limit: Decimal, ltp: Decimal) -> bool:
    return ltp <= limit if side == BUY else ltp >= limit


def stop_triggered(side: str, trigger: Decimal, ltp: Decimal) -> bool:
    # A buy stop protects a short: it fires as the price rises to the trigger.
    return ltp >= trigger if side == BUY else ltp <= trigger


def _to_tick(price: Decimal, tick: Decimal, rounding: str) -> Decimal:
    if tick <= 0:
        return price.quantize(Decimal("0.01"), rounding=rounding)
    return (price / tick).to_integral_value(rounding=rounding) * tick
