"""The order ticket: drawn for an instrument (pre-filled from a row), and placing the order."""

from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, NotFound
from core.forms import form_refusal
from core.htmx import answer
from core.inputs import int_parse
from marketdata.models import Instrument
from marketdata.selectors import instrument_get, instrument_get_by_key, instrument_search, parse_symbol_key

from .. import services
from ..forms import TicketForm
from ..models import Order
from .common import ORDERS_CHANGED, request_account, split_errors
from .ticket_state import PREFILL_FIELDS, TicketState, ticket_context

TICKET_TEMPLATE = "orders/_ticket.html"
TICKET_FIELDS = PREFILL_FIELDS
CHOOSE_INSTRUMENT = "Choose an instrument: type its symbol or name, then pick it."
# The ticket's key met an order with other inputs (a stale page, or a change the browser did not see).
KEY_USED = "This ticket's order was already placed: check the order book, then place this one again."


def resolve_symbol(text: str) -> Instrument:
    """EXCHANGE:SYMBOL as typed (either in any case), or else the best match of the instrument search."""
    key = text.strip()
    if ":" not in key:
        best = instrument_search(search=key).filter(is_active=True).first()
        if best is None:
            raise NotFound(f"No instrument matches “{key}”.", code="unknown_symbol", field="symbol")
        return best
    exchange, _, symbol = key.partition(":")
    exchange, symbol = parse_symbol_key(f"{exchange.strip().upper()}:{symbol.strip()}")
    try:
        return instrument_get_by_key(exchange=exchange, symbol=symbol)
    except NotFound:
        if symbol == symbol.upper():
            raise
        return instrument_get_by_key(exchange=exchange, symbol=symbol.upper())


def _inputs(query: QueryDict) -> dict:
    return {field: query[field].strip()[:64] for field in TICKET_FIELDS if field in query}


def _render(request, state: TicketState, status: int = 200):
    return render(request, TICKET_TEMPLATE, ticket_context(request, state), status=status)


@login_required
@require_GET
def ticket_partial(request):
    """The ticket for `?instrument_id=` or `?symbol=` (typed text), pre-filled from the other parameters
    (side, quantity, product, order_type, price): a row's Buy, Sell or Exit opens it so."""
    state = TicketState(
        with_search=request.GET.get("mode") == "search",
        in_sheet=request.GET.get("sheet") == "1",
        data=_inputs(request.GET),
    )
    text = request.GET.get("symbol", "").strip()[:80]
    state.search_text = text
    try:
        if request.GET.get("instrument_id"):
            state.instrument = instrument_get(instrument_id=int_parse(request.GET["instrument_id"]))
        elif text:
            state.instrument = resolve_symbol(text)
    except (ValueError, DomainError) as exc:
        message = exc.message if isinstance(exc, DomainError) else CHOOSE_INSTRUMENT
        # Beside the search box when the ticket has one, else at the top.
        state.errors, state.top_errors = ({"symbol": [message]}, None) if state.with_search else (None, [message])
    if state.instrument is not None:
        state.search_text = ""
    return _render(request, state)


def _posted_state(request) -> TicketState:
    return TicketState(
        with_search=request.POST.get("mode") == "search",
        in_sheet=request.POST.get("sheet") == "1",
        data=_inputs(request.POST),
        search_text=request.POST.get("q", "").strip()[:80],
        client_order_id=request.POST.get("client_order_id", "")[:64],
    )


def _ticket_errors(request, state: TicketState, fields: dict, message: str = ""):
    """The ticket again with its errors beside the fields, and a new key: a refused order may be stored
    (REJECTED) under the old one, and the corrected order is a new intended order."""
    shown = (*TICKET_FIELDS, "symbol") if state.with_search else TICKET_FIELDS
    state.errors, state.top_errors = split_errors(fields, shown, message)
    state.client_order_id = ""
    notes = [*state.top_errors, *[m for msgs in state.errors.values() for m in msgs]]
    context = ticket_context(request, state)
    return answer(
        request, template=TICKET_TEMPLATE, context=context, redirect_to="orders:orders", notes=notes, error=True
    )


def _place(request, state: TicketState) -> tuple[Order, bool]:
    form = TicketForm(state.data)
    if not form.is_valid():
        raise form_refusal(form)
    return services.order_place(
        user=request.user,
        account=request_account(request),
        instrument=state.instrument,
        params=form.params(),
        client_order_id=state.client_order_id or None,
        source="dashboard",
    )


@login_required
@require_POST
def order_place_view(request):
    state = _posted_state(request)
    try:
        state.instrument = instrument_get(instrument_id=int_parse(request.POST.get("instrument_id", "")))
    except (ValueError, DomainError):
        return _ticket_errors(request, state, {"symbol": [CHOOSE_INSTRUMENT]}, CHOOSE_INSTRUMENT)
    try:
        order, created = _place(request, state)
    except DomainError as exc:
        if exc.code == "idempotency_key_reused":  # the API's words name internal keys and ids
            return _ticket_errors(request, state, {}, KEY_USED)
        return _ticket_errors(request, state, exc.fields, exc.message)
    # The same inputs and key: a second tap on this ticket returns this order (the sheet closes meanwhile).
    state.placed, state.created = order, created
    return answer(
        request,
        template=TICKET_TEMPLATE,
        context=ticket_context(request, state),
        redirect_to="orders:orders",
        notes=[f"Order #{order.id} placed."],
        trigger=ORDERS_CHANGED,
    )
