"""The Orders page: the order book, cancelling, and the notices that follow a request to its end.

A cancel or a modification waits for the broker. Its notice asks again every
second while the order is pending and, once settled, says how it ended and stops
asking: "Cancelling..." never outlives the cancellation.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.clock import ist_date
from core.errors import DomainError, NotFound
from core.formatting import quantity
from core.htmx import answer, flash

from .. import selectors, services
from ..models import TERMINAL, Order, OrderStatus
from .common import CANCELLABLE, ORDER_BOOK_SIZE, ORDERS_CHANGED, PENDING, not_found, request_account
from .ticket_state import TicketState, ticket_context

NOTICE_TEMPLATE = "orders/_order_notice.html"


ENDED_UNFILLED = (OrderStatus.CANCELLED, OrderStatus.EXPIRED)


def unfilled_at_end(order: Order) -> int:
    """What a cancelled or expired order left unfilled (0 for any other)."""
    return order.quantity - order.filled_quantity if order.status in ENDED_UNFILLED else 0


def _order_rows(request) -> list[dict]:
    orders = selectors.order_list_for_user(user=request.user, account=request_account(request))[:ORDER_BOOK_SIZE]
    return [
        {
            "order": o,
            "can_modify": o.status in services.MODIFIABLE,
            "can_cancel": o.status in CANCELLABLE,
            "pending": o.status in PENDING,
            "unfilled": unfilled_at_end(o),
        }
        for o in orders
    ]


def _book_context(request) -> dict:
    rows = _order_rows(request)
    return {
        "rows": rows,
        "working_count": sum(1 for r in rows if r["can_cancel"]),
        "today": ist_date(clock.now()),
        "book_size": ORDER_BOOK_SIZE,
    }


@login_required
@require_GET
def orders_page(request):
    context = {**_book_context(request), **ticket_context(request, TicketState(with_search=True))}
    context["executed_statuses"] = sorted(TERMINAL)  # the Executed tab's; every other status is Open
    return render(request, "orders/orders.html", context)


@login_required
@require_GET
def order_book_partial(request):
    return render(request, "orders/_order_book.html", _book_context(request))


def _ended(order: Order) -> str:
    """How an order ended, in quantities: what filled and what did not."""
    if not order.filled_quantity:
        return ""
    filled, left = quantity(order.filled_quantity), quantity(order.quantity - order.filled_quantity)
    return f": {filled} of {quantity(order.quantity)} filled, {left} {order.status.lower()}"


@dataclass(frozen=True)
class Notice:
    text: str
    pending: bool = False  # still waiting for the broker: the notice asks again
    tone: str = "success"  # success, notice or error: its colour


def order_notice(order: Order, about: str) -> Notice:
    """The words for a request on `order` (about = "cancel" or "modify"), and whether it is still pending."""
    waiting = order.status == (OrderStatus.CANCEL_PENDING if about == "cancel" else OrderStatus.MODIFY_PENDING)
    if waiting:
        verb = "Cancelling" if about == "cancel" else "Modifying"
        return Notice(f"{verb} order #{order.id}: waiting for the broker…", pending=True, tone="notice")
    if order.status in ENDED_UNFILLED:
        return Notice(f"Order #{order.id} {order.status.lower()}{_ended(order)}.")
    if about == "modify":
        outcome = selectors.order_events(order=order).filter(from_status=OrderStatus.MODIFY_PENDING).last()
        if outcome is not None and outcome.reason.startswith("Modification refused"):
            return Notice(f"Order #{order.id}: {outcome.reason}", tone="error")
        if outcome is not None and order.status != OrderStatus.FILLED:
            return Notice(f"Order #{order.id} modified.")
    return Notice(f"Order #{order.id} is {order.get_status_display().lower()}.")


def notice_answer(request, order: Order, about: str, *, redirect_to: str, retarget: str = ""):
    notice = order_notice(order, about)
    return answer(
        request,
        template=NOTICE_TEMPLATE,
        context={"order": order, "about": about, "notice": notice},
        redirect_to=redirect_to,
        notes=[notice.text],
        trigger=ORDERS_CHANGED,
        retarget=retarget,
    )


@login_required
@require_GET
def order_notice_partial(request, order_id: int):
    try:
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
    except NotFound:
        return not_found(request)
    about = "modify" if request.GET.get("about") == "modify" else "cancel"
    context = {"order": order, "about": about, "notice": order_notice(order, about)}
    return render(request, NOTICE_TEMPLATE, context)


@login_required
@require_POST
def order_cancel_view(request, order_id: int):
    back = request.POST.get("next") == "detail"
    redirect_to = reverse("orders:order-detail", args=[order_id]) if back else "orders:orders"
    try:
        order = selectors.order_get_for_user(user=request.user, account=request_account(request), order_id=order_id)
    except NotFound:
        return not_found(request)
    try:
        order = services.order_cancel(user=request.user, order=order)
    except DomainError as exc:
        return flash(request, exc.message, redirect_to=redirect_to, error=True)
    return notice_answer(request, order, "cancel", redirect_to=redirect_to)


@login_required
@require_POST
def orders_cancel_all_view(request):
    cancelled = services.orders_cancel_all(user=request.user, account=request_account(request))
    if cancelled:
        count = len(cancelled)
        message = f"Cancel requested for {count} order{'s' if count != 1 else ''}: the book shows each as it ends."
    else:
        message = "No working order to cancel."
    return flash(request, message, redirect_to="orders:orders", trigger=ORDERS_CHANGED if cancelled else "")
