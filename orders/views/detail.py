"""One order: its page with the full history, and the inline form that modifies it."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import DomainError, NotFound
from core.formatting import price, quantity
from core.forms import form_refusal
from core.htmx import answer, is_htmx
from core.templatetags.money import plain_decimal

from .. import selectors, services
from ..forms import ModifyForm
from ..latency import order_latency
from ..models import Order, OrderStatus, OrderType
from .book import notice_answer
from .common import CANCELLABLE, PENDING, not_found, request_account, split_errors, with_value

MODIFY_FIELDS = ("quantity", "order_type", "price", "trigger_price")
MODIFY_TEMPLATE = "orders/_modify_form.html"


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "—"
    if field == "quantity":
        return quantity(value)
    if field in ("price", "trigger_price"):
        return price(Decimal(str(value)))
    return str(value)


def _same(field: str, old, new) -> bool:
    if field in ("price", "trigger_price") and old is not None and new is not None:
        return Decimal(str(old)) == Decimal(str(new))
    return old == new


def change_lines(previous: dict, wanted: dict) -> list[dict]:
    """[{field, old, new}] for what a modification changes, formatted as the trader reads it."""
    return [
        {
            "field": field.replace("_", " "),
            "old": _shown(field, previous.get(field)),
            "new": _shown(field, wanted[field]),
        }
        for field in MODIFY_FIELDS
        if field in wanted and not _same(field, previous.get(field), wanted[field])
    ]


def _history(order: Order) -> list[dict]:
    rows = []
    for e in selectors.order_events(order=order):
        data = e.data or {}
        changes = change_lines(data["previous"], data) if isinstance(data.get("previous"), dict) else []
        rows.append({"event": e, "changes": changes})
    return rows


def _current(order: Order) -> dict:
    return {field: getattr(order, field) for field in MODIFY_FIELDS}


def _detail_context(order: Order) -> dict:
    pending = order.pending_changes or {}
    requested = change_lines(_current(order), pending) if order.status == OrderStatus.MODIFY_PENDING else []
    unfilled = order.quantity - order.filled_quantity
    return {
        "order": order,
        "history": _history(order),
        "latency": order_latency(order=order),
        "trades": with_value(selectors.trades_for_order(order=order)),
        "can_cancel": order.status in CANCELLABLE,
        "pending": order.status in PENDING,
        "requested": requested,
        "ended_unfilled": unfilled if order.status in (OrderStatus.CANCELLED, OrderStatus.EXPIRED) else 0,
    }


@login_required
@require_GET
def order_detail(request, order_id: int):
    try:
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
    except NotFound:
        return not_found(request)
    template = "orders/_order_detail_body.html" if is_htmx(request) else "orders/order_detail.html"
    return render(request, template, _detail_context(order))


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


def _modify(request, order: Order, data: dict) -> Order:
    form = ModifyForm(data)
    if not form.is_valid():
        raise form_refusal(form)
    return services.order_modify(user=request.user, order=order, changes=form.changes(order))


@login_required
@require_http_methods(["GET", "POST"])
def order_modify_view(request, order_id: int):
    """GET: the inline modify form for one order. POST: ask for the change."""
    try:
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
    except NotFound:
        return not_found(request)
    if request.method == "GET":
        return render(request, MODIFY_TEMPLATE, _modify_context(order))
    data = {field: request.POST.get(field, "").strip()[:64] for field in MODIFY_FIELDS}
    try:
        order = _modify(request, order, data)
    except DomainError as exc:
        beside, top = split_errors(exc.fields, MODIFY_FIELDS, exc.message)
        context = _modify_context(order, data, beside, top)
        return answer(
            request,
            template=MODIFY_TEMPLATE,
            context=context,
            redirect_to="orders:orders",
            notes=[exc.message],
            error=True,
        )
    return notice_answer(request, order, "modify", redirect_to="orders:orders", retarget="#book-flash")
