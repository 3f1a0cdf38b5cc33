"""What brokers say about orders: the one path fills and status changes take.

A broker's order-update stream, the worker's own call and reconciliation all
end in `order_apply_update`, which is idempotent: the same fill reported
twice is applied once, the same status twice changes nothing.
"""

import logging
from decimal import Decimal

from accounts.models import TradingAccount
from brokers.base import BrokerOrder, BrokerStatus, BrokerTrade, OrderUpdate
from core.formatting import price as format_price

from ..books import AccountBooks, mark, money
from ..lifecycle import end, move, note
from ..models import TERMINAL, Order, OrderStatus, Trade, Validity
from ..validation import blocked_amount
from .modification import send_queued_cancel
from .notices import order_fill_notify, order_rejection_notify

logger = logging.getLogger(__name__)

# Our statuses that already say what a broker status says (no pending request in between).
_AGREES = {
    BrokerStatus.COMPLETE: {OrderStatus.FILLED},
    BrokerStatus.OPEN: {OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED},
    BrokerStatus.TRIGGER_PENDING: {OrderStatus.TRIGGER_PENDING},
    BrokerStatus.CANCELLED: {OrderStatus.CANCELLED, OrderStatus.EXPIRED},
    BrokerStatus.REJECTED: {OrderStatus.REJECTED},
}


def order_id_from_tag(tag: str) -> int | None:
    if tag.startswith("T") and tag[1:].isdigit():
        return int(tag[1:])
    return None


def on_broker_update(update: OrderUpdate) -> None:
    """Subscribed to brokers.base.order_updates in OrdersConfig.ready."""
    order_apply_update(update=update, actor="broker")


def order_apply_update(*, update: OrderUpdate, actor: str = "broker") -> Order | None:
    """Apply what a broker says about an order: new fills, then its status. Idempotent."""
    order_id = order_id_from_tag(update.order.tag)
    if order_id is None:
        logger.warning("broker update for an order we did not tag: %s", update.order.tag)
        return None
    with AccountBooks.locked(update.account_id) as books:
        order = books.lock_order(order_id, account_id=update.account_id)
        if order is None:
            logger.warning("broker update for unknown order %s", update.order.tag)
            return None
        if not order.broker_order_id:
            order.broker_order_id = update.order.broker_order_id
            mark(order, "broker_order_id")
        if order.status == OrderStatus.MODIFY_PENDING and _modification_confirmed(order, update.order):
            _apply_modification(books, order, update.order)
        filled_now = [t for t in (_apply_trade(books, order, trade) for trade in update.trades) if t]
        _settle_status(books, order, update.order, actor, fills=filled_now)
        if filled_now:
            order_fill_notify(order, filled_now)
        send_queued_cancel(books, order)
    return order


def apply_with_trades(account: TradingAccount, broker, result: BrokerOrder, *, actor: str) -> None:
    """Apply a broker's answer, fetching its fills if it reports any: the stream may have been missed.

    Most often the order-update stream has already delivered exactly this (the
    paper exchange publishes a fill before it answers, and says so: `reported`),
    and nothing is applied.
    """
    order_id = order_id_from_tag(result.tag)
    if result.reported or already_applied(order_id, result):
        return
    trades = tuple(broker.trades(result.broker_order_id)) if result.filled_quantity else ()
    order_apply_update(update=OrderUpdate(account_id=account.id, order=result, trades=trades), actor=actor)


def already_applied(order_id: int | None, result: BrokerOrder) -> bool:
    """Whether our order already says what the broker answered (then there is nothing to apply)."""
    ours = Order.objects.filter(id=order_id, filled_quantity=result.filled_quantity).values_list("status", flat=True)
    return bool(ours) and ours[0] in _AGREES[result.status]


# --- Modifications the broker confirmed -----------------------------------------------------------


def _same_price(value, wanted) -> bool:
    if value is None or wanted is None:
        return value is None and wanted is None
    return Decimal(value) == Decimal(wanted)


def _modification_confirmed(order: Order, bo: BrokerOrder) -> bool:
    changes = order.pending_changes or {}
    return (
        bo.quantity == changes.get("quantity")
        and (bo.order_type is None or bo.order_type == changes.get("order_type"))
        and _same_price(bo.price, changes.get("price"))
        and _same_price(bo.trigger_price, changes.get("trigger_price"))
    )


def _apply_modification(books: AccountBooks, order: Order, bo: BrokerOrder) -> None:
    changes = order.pending_changes
    order.quantity = changes["quantity"]
    order.order_type = changes["order_type"]
    order.price = None if changes["price"] is None else Decimal(changes["price"])
    order.trigger_price = None if changes["trigger_price"] is None else Decimal(changes["trigger_price"])
    required = Decimal(changes["required"])
    order.pending_changes = None  # confirmed: _settle_status moves it on to the broker's status
    mark(order, "quantity", "order_type", "price", "trigger_price", "pending_changes")
    if order.reserved_amount > required:
        books.release(order, order.reserved_amount - required)


def trim_reservation(books: AccountBooks, order: Order) -> None:
    """After a refused modification, keep only what the order as it stands needs."""
    if order.price is None:
        return  # market-type orders keep their reservation until they end
    required = money(
        blocked_amount(
            instrument=order.instrument,
            side=order.side,
            product=order.product,
            quantity=order.pending_quantity,
            price=order.price,
        )
    )
    if order.reserved_amount > required:
        books.release(order, order.reserved_amount - required)


# --- Fills --------------------------------------------------------------------------------------


def _apply_trade(books: AccountBooks, order: Order, bt: BrokerTrade) -> Trade | None:
    """Book one fill: the trade, the order's filled quantity and average, the position and the money."""
    if _reported_before(order, bt):
        return None
    quantity = min(bt.quantity, order.pending_quantity)
    if quantity <= 0:
        logger.error("fill %s for order %s exceeds its quantity; ignored", bt.trade_id, order.id)
        return None
    trade = Trade.objects.create(
        order=order,
        account_id=order.account_id,
        instrument_id=order.instrument_id,
        side=order.side,
        product=order.product,
        quantity=quantity,
        price=bt.price,
        broker_trade_id=bt.trade_id,
        executed_at=bt.executed_at,
    )
    books.fill(order, trade)
    return trade


def _reported_before(order: Order, bt: BrokerTrade) -> bool:
    # The stream and reconciliation both deliver fills. Trades are only stored here, with filled_quantity
    # raised in the same transaction, so an order with nothing filled has none yet.
    return (
        bool(order.filled_quantity)
        and Trade.objects.filter(account_id=order.account_id, broker_trade_id=bt.trade_id).exists()
    )


# --- Status --------------------------------------------------------------------------------------


def _settle_status(books: AccountBooks, order: Order, bo: BrokerOrder, actor: str, fills: list[Trade]) -> None:
    if order.status in TERMINAL:
        if fills:  # the broker's word on the money is booked; a finished order does not move again
            logger.error("order %s is %s and the broker reports fills for it", order.id, order.status)
        return
    if order.filled_quantity == order.quantity:
        move(order, OrderStatus.FILLED, f"Filled {_fill_note(fills)}".strip(), actor, data=_fill_data(fills))
        books.release(order)
    elif bo.status == BrokerStatus.COMPLETE:
        return  # complete there and its fills have not reached us yet (they will)
    elif bo.status in (BrokerStatus.CANCELLED, BrokerStatus.REJECTED):
        _settle_ended(books, order, bo, actor)
    else:
        _settle_working(order, bo, actor, fills)


def _fill_note(fills: list[Trade]) -> str:
    return ", ".join(f"{t.quantity} @ {format_price(t.price)}" for t in fills)


def _fill_data(fills: list[Trade]) -> dict:
    return {"fills": [{"trade": t.broker_trade_id, "quantity": t.quantity, "price": str(t.price)} for t in fills]}


def _settle_ended(books: AccountBooks, order: Order, bo: BrokerOrder, actor: str) -> None:
    """The broker ended the order before it filled completely: say why, release the rest."""
    pending = order.pending_changes or {}
    if bo.status == BrokerStatus.REJECTED:
        # Accepted first and refused afterwards (the broker's risk system, a circuit limit) is "late":
        # the trader must hear of it at once, it was never done.
        late = order.status not in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN)
        message = bo.message or "no reason given"
        end(books, order, OrderStatus.REJECTED, f"Rejected by the broker: {message}", actor, code="broker_rejected")
        order_rejection_notify(order, code="broker_rejected", message=message, late=late)
    elif order.validity == Validity.IOC and order.status != OrderStatus.CANCEL_PENDING:
        end(books, order, OrderStatus.EXPIRED, bo.message or "IOC remainder cancelled", actor)
    elif pending.get("expire"):
        end(books, order, OrderStatus.EXPIRED, "Expired at the end of the day", actor)
    else:
        end(books, order, OrderStatus.CANCELLED, pending.get("cancel_reason", bo.message or "Cancelled"), actor)


def _settle_working(order: Order, bo: BrokerOrder, actor: str, fills: list[Trade]) -> None:
    """Still working at the broker: open, triggered, partly filled."""
    awaiting = order.status == OrderStatus.CANCEL_PENDING or (
        order.status == OrderStatus.MODIFY_PENDING and order.pending_changes
    )
    target = _working_status(order, bo)
    if awaiting or target == order.status:
        if fills:  # the pending request's own answer moves it on
            suffix = " while pending" if awaiting else ""
            note(order, f"Partly filled {_fill_note(fills)}{suffix}", actor, _fill_data(fills))
        return
    if fills:
        reason, data = f"Partly filled {_fill_note(fills)}", _fill_data(fills)
    else:
        reason, data = _working_reason(order), {"broker_order_id": bo.broker_order_id}
    move(order, target, reason, actor, data=data)


def _working_status(order: Order, bo: BrokerOrder) -> str:
    if order.filled_quantity:
        return OrderStatus.PARTIALLY_FILLED
    if bo.status == BrokerStatus.TRIGGER_PENDING:
        return OrderStatus.TRIGGER_PENDING
    return OrderStatus.OPEN


def _working_reason(order: Order) -> str:
    if order.status == OrderStatus.MODIFY_PENDING:
        return "Modification confirmed by the broker"
    if order.status == OrderStatus.TRIGGER_PENDING:
        return "Triggered"
    return "Accepted by the broker"
