"""Positions and trades, live, and squaring positions off."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, InvalidInput
from core.htmx import flash
from core.inputs import int_parse
from marketdata.selectors import instrument_get

from .. import selectors, services
from ..models import Order, Product
from .common import ORDERS_CHANGED, TRADES_SHOWN, funds_or_none, request_account, with_value


def _positions_context(request) -> dict:
    views = selectors.positions_for_user(user=request.user, account=request_account(request))
    # Open positions first; closed ones (today's round trips) after them, each group by symbol.
    views.sort(key=lambda v: v.position.net_quantity == 0)
    funds = funds_or_none(request)
    return {
        "positions": views,
        "has_open": any(v.position.net_quantity for v in views),
        "funds": funds,
        "total_pnl": funds.realised_pnl + funds.unrealised_pnl if funds else None,
    }


def _trades(request) -> list:
    trades = selectors.trades_for_user(user=request.user, account=request_account(request))
    return with_value(trades[:TRADES_SHOWN])


@login_required
@require_GET
def positions_page(request):
    context = {**_positions_context(request), "trades": _trades(request), "trades_shown": TRADES_SHOWN}
    return render(request, "orders/positions.html", context)


@login_required
@require_GET
def positions_partial(request):
    return render(request, "orders/_positions_live.html", _positions_context(request))


@login_required
@require_GET
def trades_partial(request):
    return render(request, "orders/_trades.html", {"trades": _trades(request), "trades_shown": TRADES_SHOWN})


def _square_off_answer(request, orders: list[Order], nothing: str):
    if orders:
        ids = ", ".join(f"#{o.id}" for o in orders)
        message = f"Square-off order{'s' if len(orders) > 1 else ''} {ids} placed."
    else:
        message = nothing
    return flash(request, message, redirect_to="orders:positions", trigger=ORDERS_CHANGED if orders else "")


def _square_off_error(request, exc: DomainError):
    return flash(request, exc.message, redirect_to="orders:positions", error=True)


@login_required
@require_POST
def position_close_view(request):
    try:
        instrument = instrument_get(instrument_id=int_parse(request.POST.get("instrument_id", "")))
        product = request.POST.get("product", "")
        if product not in Product.values:
            raise InvalidInput("Choose a product.", code="invalid_product", field="product")
        orders = services.positions_close(
            user=request.user, account=request_account(request), instrument=instrument, product=product
        )
    except ValueError:
        return _square_off_error(request, InvalidInput("Choose a position to square off."))
    except DomainError as exc:
        return _square_off_error(request, exc)
    return _square_off_answer(request, orders, "Already being closed by open orders.")


@login_required
@require_POST
def positions_close_all_view(request):
    try:
        orders = services.positions_close(user=request.user, account=request_account(request))
    except DomainError as exc:
        return _square_off_error(request, exc)
    return _square_off_answer(request, orders, "No open position to square off.")
