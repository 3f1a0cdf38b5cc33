"""The pre-trade checks. Each raises RiskViolation with a stable code and a message naming the limit
and the value that broke it. They run inside the placement transaction, under the account's lock."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from core.errors import RuleViolation
from core.formatting import inr, price
from core.vocabulary import OrderType, Side
from marketdata import limits
from marketdata.models import Instrument
from marketdata.quotes import CachedQuote

from .models import PlatformRisk, RiskProfile, TradingState


class OrderTerms(Protocol):
    """What the checks read of an order's terms (orders' OrderParams has them)."""

    side: str
    quantity: int
    product: str
    order_type: str


class Usage(Protocol):
    """What an account uses of its limits. Orders keeps the running totals and hands them in: risk says what
    it needs, not how it is counted."""

    orders_this_second: int
    orders_this_minute: int
    orders_today: int
    open_orders: int
    day_pnl: Decimal
    gross_exposure: Decimal

    def position_value(self, instrument_id: int, extra_signed_quantity: int, price: Decimal) -> Decimal: ...


class RiskViolation(RuleViolation):
    """A risk limit refused the order. `store`: the refused order is kept in the book as REJECTED with its
    reason (rate limits are not stored: a runaway loop must not become a runaway writer)."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: str | None = None,
        store: bool = True,
        moves_to: str | None = None,
        data: dict | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.store = store
        self.moves_to = moves_to  # the trading state the account enters because of it (daily loss: REDUCING)
        self.data = data or {}


@dataclass(frozen=True, kw_only=True)
class OrderUnderCheck:
    instrument: Instrument
    params: OrderTerms
    quote: CachedQuote | None
    reducing: bool  # it only closes (part of) a position the account holds
    value: Decimal  # quantity x the price funds are reserved at
    price: Decimal  # that price

    @property
    def instrument_class(self) -> str:
        kind = self.instrument.instrument_type
        return "options" if kind.startswith("OPT") else "futures" if kind.startswith("FUT") else "equity"

    @property
    def signed_quantity(self) -> int:
        return self.params.quantity if self.params.side == Side.BUY else -self.params.quantity


def check_state(profile: RiskProfile, order: OrderUnderCheck, *, platform_halted: bool) -> None:
    if platform_halted:
        platform = PlatformRisk.objects.filter(pk=1).first()  # read only to say why
        reason = f": {platform.reason}" if platform and platform.reason else ""
        raise RiskViolation(f"Trading is halted on the platform{reason}", code="risk_platform_halted")
    if profile.state == TradingState.HALTED:
        reason = f" ({profile.state_reason})" if profile.state_reason else ""
        raise RiskViolation(f"Your account is halted{reason}: only cancellations are accepted.", code="risk_halted")
    if profile.state == TradingState.REDUCING and not order.reducing:
        reason = f" ({profile.state_reason})" if profile.state_reason else ""
        raise RiskViolation(
            f"Your account takes only orders that reduce a position{reason}.", code="risk_reducing_only"
        )


def check_rates(profile: RiskProfile, usage: Usage) -> None:
    for window, used, limit in (
        ("second", usage.orders_this_second, profile.max_orders_per_second),
        ("minute", usage.orders_this_minute, profile.max_orders_per_minute),
        ("day", usage.orders_today, profile.max_orders_per_day),
    ):
        if used >= limit:
            raise RiskViolation(
                f"At most {limit} orders per {window}; this would be order {used + 1}.",
                code=f"risk_max_orders_per_{window}",
                store=False,
            )


def check_allowed(profile: RiskProfile, order: OrderUnderCheck) -> None:
    exchange, product, kind = order.instrument.exchange, order.params.product, order.instrument_class
    if exchange not in profile.allowed_exchanges:
        raise RiskViolation(f"{exchange} is not among your allowed exchanges.", code="risk_exchange_not_allowed")
    if product not in profile.allowed_products:
        raise RiskViolation(f"{product} is not among your allowed products.", code="risk_product_not_allowed")
    if kind not in profile.allowed_instrument_classes:
        raise RiskViolation(f"Trading {kind} is not allowed on your account.", code="risk_instrument_not_allowed")


def check_fno_ban(order: OrderUnderCheck, today) -> None:
    if order.instrument_class != "equity" and not order.reducing and limits.fno_banned(order.instrument.name, today):
        raise RiskViolation(
            f"{order.instrument.name} is in the F&O ban period: its derivatives take only orders that reduce "
            "a position.",
            code="risk_fno_ban",
        )


def check_size(profile: RiskProfile, order: OrderUnderCheck) -> None:
    kind, quantity = order.instrument_class, order.params.quantity
    max_quantity = profile.for_class("max_quantity", kind)
    if quantity > max_quantity:
        raise RiskViolation(
            f"Quantity {quantity} is above your limit of {max_quantity} per {kind} order.",
            code="risk_max_quantity",
            field="quantity",
        )
    max_value = profile.for_class("max_order_value", kind)
    if order.value > max_value:
        raise RiskViolation(
            f"This order is worth ₹{inr(order.value)}, above your limit of ₹{inr(max_value)} per {kind} order.",
            code="risk_max_order_value",
            field="quantity",
        )
    freeze = limits.freeze_quantity_for(order.instrument.name) if kind != "equity" else None
    if freeze is not None and quantity > freeze:
        raise RiskViolation(
            f"Quantity {quantity} is above the exchange's freeze quantity of {freeze} for "
            f"{order.instrument.name}; place it as several orders of at most {freeze}.",
            code="risk_freeze_quantity",
            field="quantity",
        )


def check_prices(profile: RiskProfile, order: OrderUnderCheck, today) -> None:
    p = order.params
    for field, value in (("price", p.price), ("trigger_price", p.trigger_price)):
        if value is None:
            continue
        _check_band(profile, order, field, value)
        circuit = limits.circuit_limit_for(order.instrument.id, today)
        if circuit is not None and not circuit[0] <= value <= circuit[1]:
            raise RiskViolation(
                f"The {field.replace('_', ' ')} {price(value)} is outside today's circuit limits "
                f"{price(circuit[0])} to {price(circuit[1])}.",
                code="risk_circuit_limit",
                field=field,
            )


def _check_band(profile: RiskProfile, order: OrderUnderCheck, field: str, value: Decimal) -> None:
    ltp = order.quote.ltp if order.quote is not None else None
    if ltp is None or order.params.order_type == OrderType.MARKET:
        return
    band = profile.for_class("price_band_pct", order.instrument_class)
    if abs(value - ltp) * 100 > band * ltp:
        raise RiskViolation(
            f"The {field.replace('_', ' ')} {price(value)} is more than {band.normalize()}% away from the "
            f"last price {price(ltp)}.",
            code="risk_price_band",
            field=field,
        )


def check_exposure(profile: RiskProfile, order: OrderUnderCheck, usage: Usage) -> None:
    if order.reducing:
        return  # closing never adds exposure
    if usage.open_orders >= profile.max_open_orders:
        raise RiskViolation(
            f"You have {usage.open_orders} open orders, your limit is {profile.max_open_orders}.",
            code="risk_max_open_orders",
        )
    position_value = usage.position_value(order.instrument.id, order.signed_quantity, order.price)
    if position_value > profile.max_position_value:
        raise RiskViolation(
            f"Your position in {order.instrument.display_name} would be worth ₹{inr(position_value)}, above your limit "
            f"of ₹{inr(profile.max_position_value)} per instrument.",
            code="risk_max_position_value",
            field="quantity",
        )
    exposure = usage.gross_exposure + order.value
    if exposure > profile.max_gross_exposure:
        raise RiskViolation(
            f"Your gross exposure would be ₹{inr(exposure)}, above your limit of ₹{inr(profile.max_gross_exposure)}.",
            code="risk_max_gross_exposure",
            field="quantity",
        )


def daily_loss_reached(profile: RiskProfile, usage: Usage) -> bool:
    return usage.day_pnl <= -profile.daily_loss_limit


def check_daily_loss(profile: RiskProfile, order: OrderUnderCheck, usage: Usage) -> None:
    if order.reducing or not daily_loss_reached(profile, usage):
        return
    raise RiskViolation(
        f"Today's loss of ₹{inr(-usage.day_pnl)} has reached your daily limit of ₹{inr(profile.daily_loss_limit)}: "
        "only orders that reduce a position are accepted until tomorrow.",
        code="risk_daily_loss_limit",
        moves_to=TradingState.REDUCING,
        data={"day_pnl": usage.day_pnl},
    )
