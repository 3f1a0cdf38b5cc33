"""What the chart draws of the trader's own: working orders' prices and the position's average price."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from accounts.chosen import request_account

from .. import selectors
from ..models import OrderType, Position


def _order_lines(user, account, instrument_id: int) -> list[dict]:
    orders = selectors.order_list_for_user(user=user, account=account, open_only=True)
    orders = orders.filter(instrument_id=instrument_id)
    lines = []
    for o in orders:
        pending = o.quantity - o.filled_quantity
        if o.price is not None:
            lines.append(
                {
                    "kind": "order",
                    "id": o.id,
                    "side": o.side,
                    "price": str(o.price),
                    "label": f"{o.side} {pending} {o.order_type}",
                }
            )
        if o.trigger_price is not None:
            label = f"{o.side} {pending} {'SL' if o.order_type == OrderType.SL else 'SL-M'} trigger"
            lines.append({"kind": "trigger", "id": o.id, "side": o.side, "price": str(o.trigger_price), "label": label})
    return lines


def _position_lines(account, instrument_id: int) -> list[dict]:
    if account is None:
        return []
    held = Position.objects.filter(account=account, instrument_id=instrument_id).exclude(net_quantity=0)
    return [
        {
            "kind": "position",
            "side": "BUY" if p.net_quantity > 0 else "SELL",
            "price": str(p.average_price),
            "label": f"Avg {p.product} {p.net_quantity:+d}",
        }
        for p in held
    ]


@login_required
@require_GET
def chart_lines(request, instrument_id: int):
    """{"lines": [{kind, side, price, label}]}: prices as decimal strings, like the API."""
    account = request_account(request)
    lines = _order_lines(request.user, account, instrument_id) + _position_lines(account, instrument_id)
    return JsonResponse({"lines": lines})
