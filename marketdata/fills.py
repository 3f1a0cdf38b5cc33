"""When an order fills and at what price: the one set of rules the paper exchange and the backtester share.

An order *meets* a price: the paper exchange's orders meet the quote on
arrival and then every tick; the backtester's orders meet each bar's open and
then, inside the bar, the level they wait for (a bar moves continuously from
its open through its range, so a stop or limit inside the range is met at its
own price). `meet` decides, for one order and one price, the same way in both:

- MARKET fills at the touch (the ask for a buy, the bid for a sell, else the
  last price) plus slippage, rounded to the tick against the trader.
- LIMIT arriving (placed, modified, or a stop just triggered) fills at once if
  marketable, at the better of its limit and the touch; resting, it fills at
  its limit when the price reaches or crosses it (the price passed through the
  limit on the way, so the resting order traded there).
- SL-M triggers when the last price reaches the trigger and fills as MARKET at
  the price that triggered it; SL triggers alike and then arrives as a LIMIT
  (it rests as one when the trigger price is beyond its limit).
- A whole order fills at once (no partial fills); slippage applies to MARKET
  and SL-M fills only.

It lives in marketdata because both sides may import it (brokers and
strategies each depend on market data; strategies may not import brokers) and
it needs nothing but prices. The comparisons take floats as well as Decimals,
so the backtester tests its float bars with the same predicates.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

BUY = "BUY"
MARKET, LIMIT, SL, SL_M = "MARKET", "LIMIT", "SL", "SL-M"
STOPS = (SL, SL_M)
NO_SLIPPAGE_BPS = Decimal(0)


@dataclass(frozen=True, slots=True)
class Market:
    """The price an order meets: the last price, and the touch when the quote has one."""

    ltp: Decimal
    bid: Decimal | None = None
    ask: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Slippage:
    """How far a market fill lands beyond the touch: basis points (paper) and/or ticks (backtests)."""

    bps: Decimal = NO_SLIPPAGE_BPS
    ticks: int = 0


NO_SLIPPAGE = Slippage()


@dataclass(frozen=True, slots=True)
class Outcome:
    waiting: bool  # a stop order whose trigger the price has not reached yet
    price: Decimal | None  # the fill price; None: the order does not fill at this price


def meet(
    *,
    order_type: str,
    side: str,
    limit: Decimal | None,
    trigger: Decimal | None,
    triggered: bool,
    arriving: bool,
    market: Market,
    tick: Decimal | None,
    slippage: Slippage = NO_SLIPPAGE,
) -> Outcome:
    """What one order does when it meets one price. `triggered`: a stop whose trigger was reached before."""
    if order_type in STOPS and not triggered:
        if not stop_triggered(side, trigger, market.ltp):
            return Outcome(True, None)
        arriving = True  # a triggered stop enters the book as a new order
    if order_type in (MARKET, SL_M):
        return Outcome(False, market_fill_price(side, market, tick, slippage))
    if arriving:
        return Outcome(False, marketable_limit_price(side, limit, market))
    return Outcome(False, resting_limit_price(side, limit, market.ltp))


def market_fill_price(side: str, market: Market, tick: Decimal | None, slippage: Slippage) -> Decimal:
    if side == BUY:
        base = market.ask or market.ltp
        raw = base * (1 + slippage.bps / 10_000) + slippage.ticks * (tick or 0)
        return _to_tick(raw, tick, ROUND_CEILING)
    base = market.bid or market.ltp
    raw = base * (1 - slippage.bps / 10_000) - slippage.ticks * (tick or 0)
    floor = tick or Decimal("0.01")
    return max(floor, _to_tick(raw, tick, ROUND_FLOOR))


def marketable_limit_price(side: str, limit: Decimal, market: Market) -> Decimal | None:
    """The fill price if a limit order arriving now can trade, else None."""
    if side == BUY:
        touch = market.ask or market.ltp
        return min(limit, touch) if touch <= limit else None
    touch = market.bid or market.ltp
    return max(limit, touch) if touch >= limit else None


def resting_limit_price(side: str, limit: Decimal, price: Decimal) -> Decimal | None:
    return limit if limit_crossed(side, limit, price) else None


def limit_crossed(side: str, limit, price) -> bool:
    return price <= limit if side == BUY else price >= limit


def stop_triggered(side: str, trigger, price) -> bool:
    # A buy stop protects a short: it fires as the price rises to the trigger.
    return price >= trigger if side == BUY else price <= trigger


def _to_tick(price: Decimal, tick: Decimal | None, rounding: str) -> Decimal:
    if tick is None:
        return price  # no tick grid known (a backtest on a bare price frame)
    if tick <= 0:
        return price.quantize(Decimal("0.01"), rounding=rounding)
    return (price / tick).to_integral_value(rounding=rounding) * tick
