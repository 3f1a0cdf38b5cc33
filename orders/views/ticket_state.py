"""What the order ticket shows: its instrument, the trader's inputs, errors and the last success.

The ticket appears in three places: beside the chart (its instrument fixed), on
the Orders page (with its own instrument search) and in a sheet opened from a
watchlist, position or holding row (pre-filled, with a close button).
"""

import uuid
from dataclasses import dataclass

from accounts.chosen import request_account
from core import clock
from core.clock import ist_date
from core.errors import DomainError
from marketdata.models import Instrument
from marketdata.quotes import quotes_get
from risk.models import TradingState
from risk.profiles import trading_state_shown

from ..models import Order, OrderType, Product, Side, Validity
from ..validation import OrderParams, check_instrument, check_product, margin_rate
from .estimate import ESTIMATE_FIELDS, Estimate, estimate_for

PRODUCT_HINTS = {
    Product.CNC: "Delivery: shares held overnight",
    Product.MIS: "Intraday: squared off before the close",
    Product.NRML: "Carry forward until expiry",
}
PREFILL_FIELDS = ESTIMATE_FIELDS


@dataclass(kw_only=True)
class TicketState:
    instrument: Instrument | None = None
    with_search: bool = False  # the Orders page: the ticket finds its own instrument
    in_sheet: bool = False  # opened over another page: it can be closed
    search_text: str = ""
    data: dict | None = None  # the trader's inputs (or a pre-fill), as text
    errors: dict | None = None
    top_errors: list | None = None
    notice: str = ""
    placed: Order | None = None  # the order these inputs placed: the ticket keeps their key until they change
    created: bool = False  # placed by this request (not the answer to a repeated tap)
    client_order_id: str = ""  # one intended order; empty: a new one


def allowed_products(instrument: Instrument) -> list[str]:
    """The products this instrument takes, asked of the one rule that decides (check_product).

    The carry-forward product (CNC, NRML) comes first: an intraday (MIS) position is squared
    off at the end of the day, which should never be what a trader gets without choosing it.
    """
    allowed = []
    for value in Product.values:
        probe = OrderParams(
            side=Side.BUY,
            quantity=instrument.lot_size,
            order_type=OrderType.MARKET,
            product=value,
            validity=Validity.DAY,
            price=None,
            trigger_price=None,
        )
        try:
            check_product(probe, instrument)
        except DomainError:
            continue
        allowed.append(value)
    return sorted(allowed, key=lambda value: value == Product.MIS)


def _not_tradable_reason(instrument: Instrument) -> str:
    try:
        check_instrument(instrument, ist_date(clock.now()))
    except DomainError as exc:
        return exc.message
    return ""


def _last_price(instrument: Instrument):
    """Drawn with the ticket so its estimate is there at once; quotes.js keeps it live."""
    found, _ = quotes_get([instrument.id])
    quote = found.get(instrument.id)
    return quote.ltp if quote else None


def _values(data: dict, instrument: Instrument | None, products: list[str]) -> dict:
    """The inputs as the ticket shows them: the trader's, or sensible defaults."""
    side = data.get("side") if data.get("side") in Side.values else Side.BUY
    product = data.get("product") if data.get("product") in products else (products[0] if products else "")
    return {
        "side": side,
        "quantity": data.get("quantity", instrument.lot_size if instrument else ""),
        "order_type": data.get("order_type") if data.get("order_type") in OrderType.values else OrderType.MARKET,
        "product": product,
        "validity": data.get("validity") if data.get("validity") in Validity.values else Validity.DAY,
        "price": data.get("price", ""),
        "trigger_price": data.get("trigger_price", ""),
    }


def _instrument_context(instrument: Instrument | None) -> dict:
    if instrument is None:
        return {"products": [], "not_tradable": "", "ltp": None}
    products = allowed_products(instrument)
    return {
        # (value, hint, margin rate) for the product switch.
        "products": [(value, PRODUCT_HINTS[value], margin_rate(value)) for value in products],
        "not_tradable": _not_tradable_reason(instrument),
        "ltp": _last_price(instrument),
    }


def _trading_state(account) -> dict:
    """What the account may do now: a HALTED ticket cannot be submitted, a REDUCING one says what it takes."""
    state, reason = trading_state_shown(account.id) if account else (TradingState.ACTIVE, "")
    return {"halted": state == TradingState.HALTED, "reducing": state == TradingState.REDUCING, "state_reason": reason}


def ticket_context(request, state: TicketState) -> dict:
    instrument = state.instrument
    context = _instrument_context(instrument)
    values = _values(state.data or {}, instrument, [p[0] for p in context["products"]])
    errors = state.errors or {}
    account = request_account(request)
    tradable = instrument is not None and not context["not_tradable"]
    return {
        **context,
        **_trading_state(account),
        "estimate": estimate_for(account, instrument, values) if tradable else Estimate(),
        "instrument": instrument,
        "with_search": state.with_search,
        "in_sheet": state.in_sheet,
        "search_text": state.search_text,
        "values": values,
        "errors": errors,
        "top_errors": state.top_errors or [],
        "notice": state.notice,
        "placed": state.placed,
        "created": state.created,
        "is_live": bool(account and account.mode == account.Mode.LIVE),
        "sides": Side.values,
        "order_types": OrderType.values,
        "validities": Validity.values,
        # A field the type does not take stays visible while it carries an error, so the error is seen.
        "show_price": values["order_type"] in (OrderType.LIMIT, OrderType.SL) or "price" in errors,
        "show_trigger": values["order_type"] in (OrderType.SL, OrderType.SL_M) or "trigger_price" in errors,
        "client_order_id": state.client_order_id or f"web-{uuid.uuid4().hex}",
    }
