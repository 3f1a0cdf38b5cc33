"""The ticket's estimate: what the order would block now, computed by the placement's own code.

The ticket asks again as the trader types and as the price moves, so the amount
shown is the amount the order reserves when it is placed at that moment, with
the reason in words (option premium, margin rate, the MARKET buffer, the part
that closes a position and blocks nothing). Inputs the order's own rules refuse
(quantity, lot, tick) are named by field instead, for the ticket to show beside
them while the trader types; the placement checks them again.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.chosen import request_account
from core.errors import DomainError
from core.formatting import plain_number, price, quantity
from core.forms import form_errors
from core.inputs import int_parse
from marketdata.quotes import quotes_get
from marketdata.selectors import instrument_get

from .. import services
from ..forms import TicketForm
from ..models import Funds, OrderType, Side
from ..validation import OrderParams, blocked_basis, check_shape

ESTIMATE_TEMPLATE = "orders/_ticket_estimate.html"
ESTIMATE_FIELDS = ("side", "quantity", "order_type", "product", "price", "trigger_price", "validity")
BESIDE_FIELDS = ("quantity", "price", "trigger_price")  # the ticket shows these errors beside their inputs


@dataclass
class Estimate:
    value: Decimal | None = None
    blocks: Decimal | None = None
    reasons: tuple[str, ...] = ()
    problem: str = ""
    available: Decimal | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)  # inputs the order's rules refuse, by field

    @property
    def beside(self) -> dict[str, list[str]]:
        return {f: m for f, m in self.errors.items() if f in BESIDE_FIELDS}

    @property
    def elsewhere(self) -> dict[str, list[str]]:
        return {f: m for f, m in self.errors.items() if f not in BESIDE_FIELDS}

    @property
    def short(self) -> bool:
        return self.blocks is not None and self.available is not None and self.blocks > self.available


def _buffer() -> Decimal:
    return settings.MARKET_ORDER_PRICE_BUFFER


def _market_price(params, at: Decimal) -> Decimal:
    """The price before the buffer: what a market-type order is expected to fill at."""
    if params.order_type not in (OrderType.MARKET, OrderType.SL_M):
        return at
    return (at / (1 + _buffer())).quantize(Decimal("0.0001"))


def _buffer_reason(params, quote, at: Decimal) -> str:
    """Which price a market-type order is valued at, and why it blocks more."""
    buffer = _buffer()
    base = _market_price(params, at)
    touch = quote.ask if params.side == Side.BUY else quote.bid
    if params.trigger_price is not None and base == params.trigger_price:
        source = "the trigger price"
    elif touch is not None and base == touch:
        source = "the ask" if params.side == Side.BUY else "the bid"
    else:
        source = "the last price"
    return (
        f"Blocks at {price(base)} ({source}) plus {plain_number(buffer * 100)}% for a {params.order_type} order: "
        "the price may move before it fills. What the fill does not use is released."
    )


def _reasons(params, instrument, need, quote) -> tuple[str, ...]:
    reasons = [blocked_basis(instrument=instrument, side=params.side, product=params.product)]
    closing = params.quantity - need.opening_quantity
    if closing:
        reasons.append(f"{quantity(closing)} of {quantity(params.quantity)} close your position and block nothing.")
    if params.order_type in (OrderType.MARKET, OrderType.SL_M):
        reasons.append(_buffer_reason(params, quote, need.price))
    return tuple(reasons)


def _shape_refusal(params: OrderParams, instrument) -> DomainError | None:
    """The placement's own check of quantity, lot, prices and tick (check_shape): nothing is valued before it."""
    try:
        check_shape(params, instrument)
    except DomainError as exc:
        return exc
    return None


def estimate_for(account, instrument, data: dict) -> Estimate:
    if account is None:
        return Estimate()
    available = Funds.objects.get(account_id=account.id).available  # fresh: the cached account may hold old funds
    form = TicketForm(data)
    if not form.is_valid():
        return Estimate(available=available, errors=form_errors(form))
    params = form.params()
    if refused := _shape_refusal(params, instrument):
        return Estimate(available=available, errors=refused.fields, problem="" if refused.fields else refused.message)
    found, _ = quotes_get([instrument.id])
    quote = found.get(instrument.id)
    if params.order_type != OrderType.LIMIT and (quote is None or quote.ltp is None):
        return Estimate(problem="No live price yet: the estimate follows the first one.", available=available)
    try:
        need = services.order_funds_required(account=account, instrument=instrument, params=params, quote=quote)
    except DomainError as exc:
        return Estimate(problem=exc.message, available=available)
    return Estimate(
        value=(params.quantity * _market_price(params, need.price)).quantize(Decimal("0.01")),
        blocks=need.amount,
        reasons=_reasons(params, instrument, need, quote),
        available=available,
    )


@login_required
@require_GET
def ticket_estimate(request):
    try:
        instrument = instrument_get(instrument_id=int_parse(request.GET.get("instrument_id", "")))
    except (ValueError, DomainError):
        return render(request, ESTIMATE_TEMPLATE, {"estimate": Estimate()})
    data = {field: request.GET[field].strip()[:64] for field in ESTIMATE_FIELDS if field in request.GET}
    estimate = estimate_for(request_account(request), instrument, data)
    return render(request, ESTIMATE_TEMPLATE, {"estimate": estimate})
