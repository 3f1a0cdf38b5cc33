"""Order rules checked before anything is stored. Each has its own stable error code."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from core.errors import InvalidInput, RuleViolation
from core.formatting import plain_number, price, quantity
from marketdata.models import Instrument
from marketdata.quotes import CachedQuote

from .models import OrderType, Product, Side, Validity

MAX_PRICE = Decimal("1000000000")
MONEY_PLACES = Decimal("0.0001")


@dataclass(frozen=True, kw_only=True)
class OrderParams:
    side: str
    quantity: int
    order_type: str
    product: str
    validity: str
    price: Decimal | None
    trigger_price: Decimal | None


def _bad(message: str, code: str, field: str) -> InvalidInput:
    """Input the API schema itself forbids (400)."""
    return InvalidInput(message, code=code, field=field)


def _refused(message: str, code: str, field: str) -> RuleViolation:
    """Well-formed input a rule refuses (422): rules of the order type, the instrument's lot and tick."""
    return RuleViolation(message, code=code, field=field)


def check_instrument(instrument: Instrument, today) -> None:
    if not instrument.is_active:
        raise RuleViolation(f"{instrument.key} is no longer listed.", code="instrument_not_tradable", field="symbol")
    if instrument.is_index:
        raise RuleViolation(
            f"{instrument.key} is an index; trade its futures or options instead.",
            code="instrument_not_tradable",
            field="symbol",
        )
    if instrument.expiry and instrument.expiry < today:
        raise RuleViolation(
            f"{instrument.key} expired on {instrument.expiry:%d %b %Y}.", code="instrument_expired", field="symbol"
        )


def check_shape(p: OrderParams, instrument: Instrument) -> None:
    """Quantity, prices and the fields each order type needs, against the instrument's lot and tick."""
    _check_quantity(p, instrument)
    needs_trigger = _check_fields_for_type(p)
    for field, value in (("price", p.price), ("trigger_price", p.trigger_price)):
        if value is not None:
            _check_price(field, value, instrument.tick_size)
    if p.validity == Validity.IOC and needs_trigger:
        raise _refused("IOC validity is for MARKET and LIMIT orders only.", "ioc_not_allowed", "validity")


def _check_quantity(p: OrderParams, instrument: Instrument) -> None:
    if p.quantity is None or p.quantity <= 0:
        raise _bad("Quantity must be a positive whole number.", "invalid_quantity", "quantity")
    if p.quantity > settings.ORDER_MAX_QUANTITY:
        raise _bad(
            f"Quantity {quantity(p.quantity)} is above the per-order limit of {quantity(settings.ORDER_MAX_QUANTITY)}.",
            "quantity_too_large",
            "quantity",
        )
    if p.quantity % instrument.lot_size:
        raise _refused(
            f"Quantity must be a multiple of the lot size {quantity(instrument.lot_size)} "
            f"(e.g. {quantity(instrument.lot_size * max(1, p.quantity // instrument.lot_size))}).",
            "quantity_not_lot_multiple",
            "quantity",
        )


def _check_fields_for_type(p: OrderParams) -> bool:
    """A price for LIMIT and SL, a trigger for SL and SL-M, nothing else; returns whether it is a stop."""
    needs_price = p.order_type in (OrderType.LIMIT, OrderType.SL)
    needs_trigger = p.order_type in (OrderType.SL, OrderType.SL_M)
    if needs_price and p.price is None:
        raise _refused(f"A {p.order_type} order needs a price.", "price_required", "price")
    if not needs_price and p.price is not None:
        raise _refused(f"A {p.order_type} order takes no price; remove it.", "price_not_allowed", "price")
    if needs_trigger and p.trigger_price is None:
        raise _refused(f"A {p.order_type} order needs a trigger price.", "trigger_price_required", "trigger_price")
    if not needs_trigger and p.trigger_price is not None:
        raise _refused(
            f"A {p.order_type} order takes no trigger price; remove it.", "trigger_price_not_allowed", "trigger_price"
        )
    return needs_trigger


def _check_price(field: str, value: Decimal, tick: Decimal) -> None:
    label = field.replace("_", " ")
    if not value.is_finite() or value <= 0:
        raise _bad(f"The {label} must be a positive number.", f"invalid_{field}", field)
    if value >= MAX_PRICE:
        raise _bad(f"The {label} {price(value)} is not plausible.", f"invalid_{field}", field)
    if tick > 0 and value % tick:
        lower = (value // tick) * tick
        raise _refused(
            f"The {label} must be a multiple of the tick size {plain_number(tick)} "
            f"(e.g. {price(lower)} or {price(lower + tick)}).",
            f"{field}_not_tick_multiple",
            field,
        )


def check_product(p: OrderParams, instrument: Instrument) -> None:
    if p.product == Product.CNC and not instrument.is_cash_equity:
        raise RuleViolation(
            "CNC (delivery) is for cash equity only; use NRML or MIS for futures and options.",
            code="product_not_allowed",
            field="product",
        )
    if p.product == Product.NRML and not instrument.is_derivative:
        raise RuleViolation(
            "NRML is for futures and options only; use CNC (delivery) or MIS (intraday) for shares.",
            code="product_not_allowed",
            field="product",
        )


def check_against_market(p: OrderParams, quote: CachedQuote | None, stale: bool) -> None:
    """Stop triggers must be on the right side of the last price; market orders need a fresh price."""
    needs_market = p.order_type in (OrderType.MARKET, OrderType.SL, OrderType.SL_M)
    if needs_market and (quote is None or quote.ltp is None):
        raise RuleViolation(
            "There is no live price for this instrument yet; place a LIMIT order or wait for the market data feed.",
            code="no_market_price",
            field="symbol",
        )
    if p.order_type == OrderType.MARKET and stale:
        raise RuleViolation(
            "The last price is stale (the feed is silent); a MARKET order would fill blind. Use a LIMIT order.",
            code="stale_market_price",
            field="order_type",
        )
    if p.order_type in (OrderType.SL, OrderType.SL_M):
        _check_stop(p, quote.ltp)


def _check_stop(p: OrderParams, ltp: Decimal) -> None:
    if p.side == Side.BUY and p.trigger_price <= ltp:
        raise RuleViolation(
            f"A BUY stop triggers as the price rises: the trigger must be above the last price {price(ltp)}.",
            code="trigger_price_wrong_side",
            field="trigger_price",
        )
    if p.side == Side.SELL and p.trigger_price >= ltp:
        raise RuleViolation(
            f"A SELL stop triggers as the price falls: the trigger must be below the last price {price(ltp)}.",
            code="trigger_price_wrong_side",
            field="trigger_price",
        )
    if p.order_type != OrderType.SL:
        return
    if p.side == Side.BUY and p.price < p.trigger_price:
        raise RuleViolation(
            "For a BUY stop-limit the limit price must be at or above the trigger price.",
            code="price_wrong_side_of_trigger",
            field="price",
        )
    if p.side == Side.SELL and p.price > p.trigger_price:
        raise RuleViolation(
            "For a SELL stop-limit the limit price must be at or below the trigger price.",
            code="price_wrong_side_of_trigger",
            field="price",
        )


def margin_rate(product: str) -> Decimal:
    return {
        Product.CNC: Decimal(1),
        Product.MIS: settings.MIS_MARGIN_RATE,
        Product.NRML: settings.NRML_MARGIN_RATE,
    }[product]


def is_option(instrument: Instrument) -> bool:
    return instrument.instrument_type.startswith("OPT")


def blocked_amount(*, instrument: Instrument, side: str, product: str, quantity: int, price: Decimal) -> Decimal:
    """What an order, or an open position, of `quantity` at `price` holds back: the one money rule.

    - Option buyers pay the full premium (quantity x price), whatever the product: a margin
      fraction would let them buy options they cannot pay for.
    - Option sellers: the product's margin rate on the underlying's notional, taken as
      strike x quantity (the premium times the rate would understate a short option's risk
      by orders of magnitude).
    - Everything else: the value times the product's rate (CNC 1, MIS and NRML a fraction).
    Paper accounts model no charges (brokerage, taxes), so none are added.
    """
    if not quantity:
        return Decimal(0)
    if is_option(instrument):
        if side == Side.BUY:
            return (quantity * price).quantize(MONEY_PLACES)
        return (quantity * _option_notional_price(instrument) * margin_rate(product)).quantize(MONEY_PLACES)
    return (quantity * price * margin_rate(product)).quantize(MONEY_PLACES)


def _option_notional_price(instrument: Instrument) -> Decimal:
    if not instrument.strike or instrument.strike <= 0:
        raise RuleViolation(
            f"{instrument.key} has no strike price on record, so the margin for selling it cannot be worked out.",
            code="margin_unknown",
            field="side",
        )
    return instrument.strike


def blocked_basis(*, instrument: Instrument, side: str, product: str) -> str:
    """In words, what blocked_amount charges for this kind of order (shown on the ticket)."""
    if is_option(instrument) and side == Side.BUY:
        return "Option buyers pay the full premium."
    rate = margin_rate(product)
    percent = f"{plain_number(rate * 100)}%"
    if is_option(instrument):
        return f"Option sellers: {percent} of the strike value (strike {price(instrument.strike)} x quantity)."
    if rate == 1:
        return "Delivery (CNC) blocks the full order value."
    return f"{product} blocks {percent} of the order value."


def reference_price(p: OrderParams, quote: CachedQuote | None) -> Decimal:
    """The price funds are blocked at: the limit, or for market and stop-market orders the worst
    of last price, touch and trigger plus a buffer for the move before the fill."""
    if p.order_type in (OrderType.LIMIT, OrderType.SL):
        return p.price
    touch = (quote.ask if p.side == Side.BUY else quote.bid) if quote else None
    candidates = [v for v in (quote.ltp if quote else None, touch, p.trigger_price) if v is not None]
    return max(candidates) * (1 + settings.MARKET_ORDER_PRICE_BUFFER)
