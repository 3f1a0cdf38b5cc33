"""Dashboard views for orders, positions and funds.

They parse the form, call the same services and selectors as the API, and
render the answer; a DomainError becomes a message beside the field it names.
Partials answer htmx; the trigger `ordersChanged` tells every live table on
the page to refresh at once.
"""

import json
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.clock import ist_date
from core.errors import DomainError, InvalidInput, NotFound
from core.templatetags.money import plain_decimal
from marketdata.models import Instrument
from marketdata.quotes import quotes_get
from marketdata.selectors import instrument_get, instrument_get_by_key, parse_symbol_key, watchlist_for_user

from . import selectors, services
from .forms import ModifyForm, TicketForm, form_errors
from .models import Order, OrderStatus, OrderType, Product, Side, Validity
from .validation import OrderParams, check_instrument, check_product, margin_rate

# Fired on <body>: the button that asked may have been redrawn by a live table meanwhile,
# and an event on a detached element reaches no listener.
ORDERS_CHANGED = json.dumps({"ordersChanged": {"target": "body"}})
# A re-rendered form with errors: htmx swaps 422 (see the htmx-config meta in base.html).
FORM_ERROR_STATUS = 422
ORDER_BOOK_SIZE = 100
TRADES_SHOWN = 50
TICKET_FIELDS = ("side", "quantity", "order_type", "price", "trigger_price", "product", "validity")
MODIFY_FIELDS = ("quantity", "order_type", "price", "trigger_price")
# Cancel is offered on NEW too: the service cancels at once an order no broker has seen yet.
CANCELLABLE = services.MODIFIABLE | {OrderStatus.NEW}
PENDING = {OrderStatus.MODIFY_PENDING, OrderStatus.CANCEL_PENDING}
PRODUCT_HINTS = {
    Product.CNC: "Delivery: shares held overnight",
    Product.MIS: "Intraday: squared off before the close",
    Product.NRML: "Carry forward until expiry",
}


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _not_found(request):
    return render(request, "errors/404.html", status=404)


def _split_errors(fields: dict[str, list[str]], shown: tuple[str, ...], message: str = "") -> tuple[dict, list]:
    """Errors beside the fields the form shows; the rest (or the message) at the top."""
    beside = {f: msgs for f, msgs in fields.items() if f in shown}
    top = [m for f, msgs in fields.items() if f not in shown for m in msgs]
    if not beside and not top and message:
        top = [message]
    return beside, top


# --- The order ticket ------------------------------------------------------------------------


@dataclass
class TicketState:
    """What the ticket shows: the instrument, the trader's inputs, errors and the last success."""

    instrument: Instrument | None
    with_symbol: bool = False
    symbol_text: str = ""
    data: dict | None = None
    errors: dict | None = None
    top_errors: list | None = None
    notice: str = ""
    placed: Order | None = None
    client_order_id: str = ""


def _allowed_products(instrument: Instrument) -> list[tuple[str, str]]:
    """The products this instrument takes, asked of the one rule that decides (check_product).

    The carry-forward product (CNC, NRML) comes first: an intraday (MIS) position is squared
    off at the end of the day, which should never be what a trader gets without choosing it.
    """
    allowed = []
    for value, label in Product.choices:
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
        allowed.append((value, label))
    return sorted(allowed, key=lambda choice: choice[0] == Product.MIS)


def _not_tradable_reason(instrument: Instrument) -> str:
    try:
        check_instrument(instrument, ist_date(clock.now()))
    except DomainError as exc:
        return exc.message
    return ""


def ticket_context(request, state: TicketState) -> dict:
    instrument = state.instrument
    data = dict(state.data or {})
    # (value, hint, margin rate): the rate lets the ticket estimate the margin as the trader types.
    products = [(v, PRODUCT_HINTS[v], margin_rate(v)) for v, _ in (_allowed_products(instrument) if instrument else [])]
    values = {
        "side": data.get("side") or Side.BUY,
        "quantity": data.get("quantity", instrument.lot_size if instrument else ""),
        "order_type": data.get("order_type") or OrderType.MARKET,
        "product": data.get("product") or (products[0][0] if products else ""),
        "validity": data.get("validity") or Validity.DAY,
        "price": data.get("price", ""),
        "trigger_price": data.get("trigger_price", ""),
    }
    errors = state.errors or {}
    order_type = values["order_type"]
    return {
        "instrument": instrument,
        "with_symbol": state.with_symbol,
        "symbol_text": state.symbol_text or (instrument.key if instrument else ""),
        "values": values,
        "errors": errors,
        "top_errors": state.top_errors or [],
        "notice": state.notice,
        "placed": state.placed,
        "not_tradable": _not_tradable_reason(instrument) if instrument else "",
        "ltp": _last_price(instrument) if instrument else None,
        "sides": Side.values,
        "order_types": OrderType.values,
        "products": products,
        "validities": Validity.values,
        # A field the type does not take stays visible while it carries an error, so the error is seen.
        "show_price": order_type in (OrderType.LIMIT, OrderType.SL) or "price" in errors,
        "show_trigger": order_type in (OrderType.SL, OrderType.SL_M) or "trigger_price" in errors,
        "client_order_id": state.client_order_id or f"web-{uuid.uuid4().hex}",
        "suggestions": _symbol_suggestions(request.user) if state.with_symbol else [],
    }


def _last_price(instrument: Instrument):
    """Drawn with the ticket so its estimate is there at once; quotes.js keeps it live."""
    found, _ = quotes_get([instrument.id])
    quote = found.get(instrument.id)
    return quote.ltp if quote else None


def _symbol_suggestions(user) -> list[str]:
    return [item.instrument.key for item in watchlist_for_user(user=user) if not item.instrument.is_index]


def _render_ticket(request, state: TicketState, status: int = 200):
    return render(request, "orders/_ticket.html", ticket_context(request, state), status=status)


def _resolve_symbol(text: str) -> Instrument:
    """EXCHANGE:SYMBOL as typed; the exchange may be in lower case, and so may an upper-case symbol."""
    key = text.strip()
    if ":" in key:
        exchange, _, symbol = key.partition(":")
        key = f"{exchange.strip().upper()}:{symbol.strip()}"
    exchange, symbol = parse_symbol_key(key)
    try:
        return instrument_get_by_key(exchange=exchange, symbol=symbol)
    except NotFound:
        if symbol == symbol.upper():
            raise
        return instrument_get_by_key(exchange=exchange, symbol=symbol.upper())


@login_required
@require_GET
def ticket_partial(request):
    """The ticket for `?symbol=EXCHANGE:SYMBOL` (the Orders page looks the symbol up as it is typed)."""
    text = request.GET.get("symbol", "").strip()[:80]
    if not text:
        return _render_ticket(request, TicketState(None, with_symbol=True))
    try:
        instrument = _resolve_symbol(text)
    except DomainError as exc:
        state = TicketState(None, with_symbol=True, symbol_text=text, errors={"symbol": [exc.message]})
        return _render_ticket(request, state)
    return _render_ticket(request, TicketState(instrument, with_symbol=True))


@login_required
@require_POST
def order_place_view(request):
    with_symbol = request.POST.get("mode") == "symbol"
    shown = (*TICKET_FIELDS, "symbol") if with_symbol else TICKET_FIELDS
    data = {field: request.POST.get(field, "").strip()[:64] for field in TICKET_FIELDS}
    symbol_text = request.POST.get("symbol", "").strip()[:80]
    client_order_id = request.POST.get("client_order_id", "")[:64]

    def again(instrument, *, errors=None, top=None, notice="", status=FORM_ERROR_STATUS):
        state = TicketState(
            instrument, with_symbol, symbol_text, data, errors, top, notice, client_order_id=client_order_id
        )
        if not _is_htmx(request):
            for message in [*(top or []), *[m for msgs in (errors or {}).values() for m in msgs], notice]:
                if message:
                    messages.error(request, message)
            return redirect("orders:orders")
        return _render_ticket(request, state, status=status)

    try:
        if with_symbol:
            instrument = _resolve_symbol(symbol_text)
        else:
            instrument = instrument_get(instrument_id=int(request.POST.get("instrument_id", "")))
    except (ValueError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else "Choose an instrument."
        return again(
            None, errors={"symbol": [message]} if with_symbol else None, top=None if with_symbol else [message]
        )
    if with_symbol and str(instrument.id) != request.POST.get("instrument_id"):
        # The symbol changed after the ticket was drawn: show its lot size and price before any order.
        data = {field: data[field] for field in ("side", "order_type", "validity")}
        notice = f"Check the ticket for {instrument.key}, then place the order."
        return again(instrument, notice=notice, status=200)

    form = TicketForm(data)
    if not form.is_valid():
        beside, top = _split_errors(form_errors(form), shown)
        return again(instrument, errors=beside, top=top)
    v = form.cleaned_data
    params = OrderParams(
        side=v["side"],
        quantity=v["quantity"],
        order_type=v["order_type"],
        product=v["product"],
        validity=v["validity"] or Validity.DAY,
        price=v["price"],
        trigger_price=v["trigger_price"],
    )
    try:
        order, _ = services.order_place(
            user=request.user,
            instrument=instrument,
            params=params,
            client_order_id=client_order_id or None,
            source="dashboard",
        )
    except DomainError as exc:
        beside, top = _split_errors(exc.fields, shown, exc.message)
        return again(instrument, errors=beside, top=top)

    if not _is_htmx(request):
        messages.success(request, f"Order #{order.id} placed.")
        return redirect("orders:orders")
    response = _render_ticket(request, TicketState(instrument, with_symbol, placed=order))
    response["HX-Trigger"] = ORDERS_CHANGED
    return response


# --- Orders page and order book ----------------------------------------------------------------


def _order_rows(user) -> list[dict]:
    orders = selectors.order_list_for_user(user=user)[:ORDER_BOOK_SIZE]
    return [
        {
            "order": o,
            "can_modify": o.status in services.MODIFIABLE,
            "can_cancel": o.status in CANCELLABLE,
            "pending": o.status in PENDING,
        }
        for o in orders
    ]


def _book_context(request) -> dict:
    rows = _order_rows(request.user)
    return {
        "rows": rows,
        "working_count": sum(1 for r in rows if r["can_cancel"]),
        "today": ist_date(clock.now()),
        "book_size": ORDER_BOOK_SIZE,
    }


@login_required
@require_GET
def orders_page(request):
    context = {**_book_context(request), **ticket_context(request, TicketState(None, with_symbol=True))}
    return render(request, "orders/orders.html", context)


@login_required
@require_GET
def order_book_partial(request):
    return render(request, "orders/_order_book.html", _book_context(request))


def _flash(request, message: str, *, error: bool = False, changed: bool = True, target: str = ""):
    """A one-line answer for the page's message area; on success every live table refreshes."""
    response = render(
        request,
        "orders/_flash.html",
        {"message": message, "error": error},
        status=FORM_ERROR_STATUS if error else 200,
    )
    if changed and not error:
        response["HX-Trigger"] = ORDERS_CHANGED
    if target:
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "innerHTML"
    return response


@login_required
@require_POST
def order_cancel_view(request, order_id: int):
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    except NotFound:
        return _not_found(request)
    try:
        order = services.order_cancel(user=request.user, order=order)
    except DomainError as exc:
        if not _is_htmx(request):
            messages.error(request, exc.message)
            return redirect("orders:orders")
        return _flash(request, exc.message, error=True)
    message = (
        f"Order #{order.id} cancelled."
        if order.status == OrderStatus.CANCELLED
        else f"Cancelling order #{order.id}: waiting for the broker."
    )
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("orders:orders")
    return _flash(request, message)


@login_required
@require_POST
def orders_cancel_all_view(request):
    cancelled = services.orders_cancel_all(user=request.user)
    if cancelled:
        message = f"Cancelling {len(cancelled)} order{'s' if len(cancelled) != 1 else ''}."
    else:
        message = "No working order to cancel."
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("orders:orders")
    return _flash(request, message, changed=bool(cancelled))


def _modify_context(order: Order, data=None, errors=None, top=None) -> dict:
    initial = {
        "quantity": order.quantity,
        "order_type": order.order_type,
        "price": plain_decimal(order.price),
        "trigger_price": plain_decimal(order.trigger_price),
    }
    values = {**initial, **(data or {})}
    errors = errors or {}
    return {
        "order": order,
        "values": values,
        "errors": errors,
        "top_errors": top or [],
        "order_types": OrderType.values,
        "show_price": values["order_type"] in (OrderType.LIMIT, OrderType.SL) or "price" in errors,
        "show_trigger": values["order_type"] in (OrderType.SL, OrderType.SL_M) or "trigger_price" in errors,
    }


@login_required
@require_http_methods(["GET", "POST"])
def order_modify_view(request, order_id: int):
    """GET: the inline modify form for one order. POST: ask for the change."""
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    except NotFound:
        return _not_found(request)
    if request.method == "GET":
        return render(request, "orders/_modify_form.html", _modify_context(order))
    data = {field: request.POST.get(field, "").strip()[:64] for field in MODIFY_FIELDS}
    form = ModifyForm(data)
    try:
        if not form.is_valid():
            errors = form_errors(form)
            raise InvalidInput(next(iter(errors.values()))[0], fields=errors)
        order = services.order_modify(user=request.user, order=order, changes=form.changes(order))
    except DomainError as exc:
        if not _is_htmx(request):
            messages.error(request, exc.message)
            return redirect("orders:orders")
        beside, top = _split_errors(exc.fields, MODIFY_FIELDS, exc.message)
        context = _modify_context(order, data, beside, top)
        return render(request, "orders/_modify_form.html", context, status=FORM_ERROR_STATUS)
    message = f"Modification of order #{order.id} sent: waiting for the broker."
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("orders:orders")
    return _flash(request, message, target="#book-flash")


def _with_value(trades) -> list:
    trades = list(trades)
    for trade in trades:
        trade.value = trade.quantity * trade.price
    return trades


def _detail_context(request, order: Order) -> dict:
    pending_changes = order.pending_changes or {}
    return {
        "order": order,
        "events": selectors.order_events(order=order),
        "trades": _with_value(selectors.trades_for_order(order=order)),
        "can_cancel": order.status in CANCELLABLE,
        "pending": order.status in PENDING,
        "requested": [
            (field.replace("_", " "), pending_changes[field]) for field in MODIFY_FIELDS if field in pending_changes
        ]
        if order.status == OrderStatus.MODIFY_PENDING
        else [],
    }


@login_required
@require_GET
def order_detail(request, order_id: int):
    try:
        order = selectors.order_get_for_user(user=request.user, order_id=order_id)
    except NotFound:
        return _not_found(request)
    template = "orders/_order_detail_body.html" if _is_htmx(request) else "orders/order_detail.html"
    return render(request, template, _detail_context(request, order))


# --- Positions, trades and funds ---------------------------------------------------------------


def _funds(user):
    try:
        return selectors.funds_for_user(user=user)
    except NotFound:
        return None  # no trading account yet


def _positions_context(request) -> dict:
    views = selectors.positions_for_user(user=request.user)
    # Open positions first; closed ones (today's round trips) after them, each group by symbol.
    views.sort(key=lambda v: v.position.net_quantity == 0)
    funds = _funds(request.user)
    return {
        "positions": views,
        "has_open": any(v.position.net_quantity for v in views),
        "funds": funds,
        "total_pnl": funds.realised_pnl + funds.unrealised_pnl if funds else None,
    }


@login_required
@require_GET
def positions_page(request):
    context = {
        **_positions_context(request),
        "trades": _with_value(selectors.trades_for_user(user=request.user)[:TRADES_SHOWN]),
        "trades_shown": TRADES_SHOWN,
    }
    return render(request, "orders/positions.html", context)


@login_required
@require_GET
def positions_partial(request):
    return render(request, "orders/_positions_live.html", _positions_context(request))


@login_required
@require_GET
def trades_partial(request):
    trades = _with_value(selectors.trades_for_user(user=request.user)[:TRADES_SHOWN])
    return render(request, "orders/_trades.html", {"trades": trades, "trades_shown": TRADES_SHOWN})


def _square_off_answer(request, orders: list[Order], nothing: str):
    if orders:
        ids = ", ".join(f"#{o.id}" for o in orders)
        message = f"Square-off order{'s' if len(orders) > 1 else ''} {ids} placed."
    else:
        message = nothing
    if not _is_htmx(request):
        messages.success(request, message)
        return redirect("orders:positions")
    return _flash(request, message, changed=bool(orders))


def _square_off_error(request, exc: DomainError):
    if not _is_htmx(request):
        messages.error(request, exc.message)
        return redirect("orders:positions")
    return _flash(request, exc.message, error=True)


@login_required
@require_POST
def position_close_view(request):
    try:
        instrument = instrument_get(instrument_id=int(request.POST.get("instrument_id", "")))
        product = request.POST.get("product", "")
        if product not in Product.values:
            raise InvalidInput("Choose a product.", code="invalid_product", field="product")
        orders = services.positions_close(user=request.user, instrument=instrument, product=product)
    except ValueError:
        return _square_off_error(request, InvalidInput("Choose a position to square off."))
    except DomainError as exc:
        return _square_off_error(request, exc)
    return _square_off_answer(request, orders, "Already being closed by open orders.")


@login_required
@require_POST
def positions_close_all_view(request):
    try:
        orders = services.positions_close(user=request.user)
    except DomainError as exc:
        return _square_off_error(request, exc)
    return _square_off_answer(request, orders, "No open position to square off.")


@login_required
def dashboard(request):
    """The home page: the watchlist and the account's funds at a glance."""
    try:
        funds = selectors.funds_for_user(user=request.user)
    except NotFound:
        funds = None  # no trading account yet: the page says so
    return render(request, "dashboard/index.html", {"items": watchlist_for_user(user=request.user), "funds": funds})
