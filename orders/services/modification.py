"""The trader's changes to working orders: modify, cancel, cancel all.

Each records the request on the order (MODIFY_PENDING / CANCEL_PENDING) and
queues a task that asks the broker; the broker's answer settles it
(broker_updates.py). An order no broker has seen yet is cancelled at once.
"""

from django.db.models import Q

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core.errors import Conflict, InvalidInput, RuleViolation
from marketdata.quotes import is_stale, quotes_get
from risk.checking import risk_refusal

from ..books import ZERO, AccountBooks, insufficient_funds_message, mark, money
from ..lifecycle import end, move, note
from ..models import TERMINAL, Order, OrderStatus, OrderType
from ..validation import OrderParams, blocked_amount, check_against_market, check_shape, reference_price
from .dispatch import enqueue_on_commit

MODIFIABLE = {OrderStatus.OPEN, OrderStatus.TRIGGER_PENDING, OrderStatus.PARTIALLY_FILLED}
# The broker is still answering something about these: a cancel waits for the answer, then goes out.
AWAITING_BROKER = {
    OrderStatus.SUBMITTED: "placement",
    OrderStatus.UNKNOWN: "placement",
    OrderStatus.MODIFY_PENDING: "modification",
}
MODIFIABLE_FIELDS = {"quantity", "price", "trigger_price", "order_type"}


def order_modify(*, user, order: Order, changes: dict) -> Order:
    """Ask the broker to change quantity, price, trigger or type of a working order."""
    if not changes or not set(changes) <= MODIFIABLE_FIELDS:
        raise InvalidInput("Change at least one of quantity, price, trigger_price, order_type.", code="no_changes")
    with AccountBooks.locked(order.account_id) as books:
        order = books.lock_order(order.id)
        if order.status not in MODIFIABLE:
            raise Conflict(
                f"Order #{order.id} is {order.status}; it cannot be modified now.", code="order_not_modifiable"
            )
        params = _modified_params(order, changes)
        required = _required_after_change(order, params)
        extra = max(ZERO, required - order.reserved_amount)
        if refused := _risk_refusal(order, books, params):
            raise refused
        if extra > books.available:
            message = insufficient_funds_message(extra, books.available, extra=True)
            raise RuleViolation(message, code="insufficient_funds", field="quantity")
        if extra:
            books.reserve(order, extra)
        order.pending_changes = _pending_changes(order, params, required)
        # The event keeps the values before the change too, so the order's history reads "old -> new".
        history = {**order.pending_changes, "previous": _current_values(order)}
        actor = f"user:{user.username}"
        reason = "Modification requested"
        move(order, OrderStatus.MODIFY_PENDING, reason, actor, data=history, fields=("pending_changes",))
        enqueue_on_commit("broker_modify_order", order.id)
    return order


def _modified_params(order: Order, changes: dict) -> OrderParams:
    """The order as it would stand after the change, checked like a new one."""
    order_type = changes.get("order_type", order.order_type)
    params = OrderParams(
        side=order.side,
        quantity=changes.get("quantity", order.quantity),
        order_type=order_type,
        product=order.product,
        validity=order.validity,
        # Switching type: a price or trigger the new type does not take is dropped, not an error.
        price=changes.get("price", order.price if order_type in (OrderType.LIMIT, OrderType.SL) else None),
        trigger_price=changes.get(
            "trigger_price", order.trigger_price if order_type in (OrderType.SL, OrderType.SL_M) else None
        ),
    )
    check_shape(params, order.instrument)
    if params.quantity <= order.filled_quantity:
        raise InvalidInput(
            f"Quantity must stay above the {order.filled_quantity} already filled.",
            code="invalid_quantity",
            field="quantity",
        )
    return params


def _risk_refusal(order: Order, books: AccountBooks, params: OrderParams):
    """The same limits a new order meets (not the rate limits: a modification is not a new order)."""
    found, _ = quotes_get([order.instrument_id])
    quote = found.get(order.instrument_id)
    return risk_refusal(
        account=order.account,
        platform_halted=books.platform_halted,
        usage=books.usage,
        instrument=order.instrument,
        params=params,
        quote=quote,
        reducing=order.reserved_amount == 0,
        price=reference_price(params, quote),
        source=order.source,
        placing=False,
    )


def _required_after_change(order: Order, params: OrderParams):
    found, _ = quotes_get([order.instrument_id])
    quote = found.get(order.instrument_id)
    check_against_market(params, quote, quote is not None and is_stale(quote))
    pending = params.quantity - order.filled_quantity
    at = reference_price(params, quote)
    return money(
        blocked_amount(instrument=order.instrument, side=order.side, product=order.product, quantity=pending, price=at)
    )


def _current_values(order: Order) -> dict:
    return {
        "quantity": order.quantity,
        "order_type": order.order_type,
        "price": None if order.price is None else str(order.price),
        "trigger_price": None if order.trigger_price is None else str(order.trigger_price),
    }


def _pending_changes(order: Order, params: OrderParams, required) -> dict:
    return {
        "quantity": params.quantity,
        "order_type": params.order_type,
        "price": None if params.price is None else str(params.price),
        "trigger_price": None if params.trigger_price is None else str(params.trigger_price),
        "required": str(required),
        "from_status": order.status,
    }


def order_cancel(*, user, order: Order, reason: str = "Cancelled by user", actor: str | None = None) -> Order:
    """Cancel a live order. One the broker is still answering about is cancelled right after the answer."""
    actor = actor or f"user:{user.username}"
    with AccountBooks.locked(order.account_id) as books:
        order = books.lock_order(order.id)
        if order.status == OrderStatus.NEW:
            # Never reached a broker: cancel here. The placement task's claim (NEW -> SUBMITTED) now fails.
            end(books, order, OrderStatus.CANCELLED, reason, actor)
        elif order.status == OrderStatus.CANCEL_PENDING:
            raise Conflict(f"Order #{order.id} is already being cancelled.", code="order_already_cancelling")
        elif order.status in AWAITING_BROKER:
            _queue_cancel(order, reason, actor)
        elif order.status in MODIFIABLE:
            _request_cancel(order, reason, actor)
        else:
            raise Conflict(
                f"Order #{order.id} is {order.status}; it cannot be cancelled now.", code="order_not_cancellable"
            )
    return order


def _request_cancel(order: Order, reason: str, actor: str) -> None:
    order.pending_changes = {"cancel_reason": reason, "from_status": order.status}
    move(order, OrderStatus.CANCEL_PENDING, reason, actor, fields=("pending_changes", "queued_cancel"))
    enqueue_on_commit("broker_cancel_order", order.id)


def _queue_cancel(order: Order, reason: str, actor: str) -> None:
    if order.queued_cancel:
        return  # asked before: it goes out once, all the same
    order.queued_cancel = {"reason": reason, "actor": actor}
    mark(order, "queued_cancel")
    waiting_for = AWAITING_BROKER[order.status]
    note(order, f"Cancel requested; sent once the {waiting_for} is answered", actor)


def send_queued_cancel(books: AccountBooks, order: Order) -> None:
    """A cancel asked for while the broker was answering goes out now that it has (if still needed).

    Called under the account's lock wherever an order leaves a status the broker was answering about.
    """
    request = order.queued_cancel
    if not request or order.status in AWAITING_BROKER:
        return
    order.queued_cancel = None
    mark(order, "queued_cancel")
    if order.status == OrderStatus.NEW:  # the placement never reached the broker
        end(books, order, OrderStatus.CANCELLED, request["reason"], request["actor"])
    elif order.status in MODIFIABLE:
        _request_cancel(order, request["reason"], request["actor"])
    # otherwise it ended meanwhile (filled, rejected): nothing left to cancel


def orders_cancel_all(*, user, account: TradingAccount | None = None, reason: str = "Cancelled by user") -> list[Order]:
    """Cancel the working orders of `account` (one of the user's; None: their default account)."""
    account = account or default_account_for(user)
    working = Order.objects.filter(user=user, account=account)
    working = working.exclude(Q(status__in=TERMINAL) | Q(status=OrderStatus.CANCEL_PENDING))
    cancelled = []
    for order in working:
        try:
            cancelled.append(order_cancel(user=user, order=order, reason=reason))
        except Conflict:
            continue  # in flight at the broker (submitted, being modified): the trader sees it in the list
    return cancelled
