"""The worker's side: sending orders, modifications and cancellations to the broker.

Celery task bodies; each is safe to run twice. Placement claims its order
with a conditional update first, so a redelivered task sends nothing. A
placement is never retried blindly: an ambiguous answer makes the order
UNKNOWN, for reconciliation to look up at the broker by its tag.
"""

import logging
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from brokers.base import (
    BrokerAmbiguous,
    BrokerError,
    BrokerRejected,
    BrokerUnavailable,
    ModifyOrderRequest,
    OrderType,
    PlaceOrderRequest,
    Product,
    Side,
    Validity,
)
from brokers.registry import broker_for_account
from core import clock, faults
from marketdata.selectors import instrument_cached_by_id

from ..books import AccountBooks
from ..lifecycle import claim, end, move
from ..models import TERMINAL, Order, OrderStatus
from .broker_updates import apply_with_trades, trim_reservation
from .modification import send_queued_cancel
from .notices import order_notice, order_rejection_notify

logger = logging.getLogger(__name__)


def _request(order: Order) -> PlaceOrderRequest:
    return PlaceOrderRequest(
        tag=order.broker_tag,
        exchange=order.instrument.exchange,
        symbol=order.instrument.symbol,
        token=order.instrument.token,
        side=Side(order.side),
        quantity=order.quantity,
        order_type=OrderType(order.order_type),
        product=Product(order.product),
        validity=Validity(order.validity),
        price=order.price,
        trigger_price=order.trigger_price,
    )


def _claim_new(order_id: int) -> Order | None:
    """NEW -> SUBMITTED as one conditional update: of two workers holding the same task, one wins."""
    now = clock.now()
    with transaction.atomic():  # claim, read and log it in one commit
        # None: already sent, cancelled or unknown, nothing to do
        return claim(
            order_id,
            OrderStatus.NEW,
            OrderStatus.SUBMITTED,
            "Sending to the broker",
            "worker",
            load=_with_account,
            submitted_at=now,
            submit_attempts=F("submit_attempts") + 1,
            updated_at=now,
        )


def _with_account(order_id: int) -> Order:
    order = Order.objects.select_related("account").get(id=order_id)
    order.instrument = instrument_cached_by_id(order.instrument_id)
    return order


def order_submit(*, order_id: int) -> None:
    """Send a NEW order to its broker exactly once."""
    order = _claim_new(order_id)
    if order is None:
        return
    faults.point("order_submit.before_broker_call")
    broker = broker_for_account(order.account)
    try:
        result = broker.place_order(_request(order))
    except BrokerRejected as exc:
        _settle_rejection(order, exc.code, exc.message)
        return
    except BrokerUnavailable as exc:
        # Definitely not sent: back to NEW for the outbox sweep to send later.
        reason = f"Broker unavailable, will retry: {exc.message}"
        _back_from_submitted(order, OrderStatus.NEW, reason, code=exc.code)
        return
    except Exception as exc:  # timeout after sending, 5xx, anything we cannot interpret
        ambiguous = isinstance(exc, BrokerAmbiguous)
        reason = exc.message if ambiguous else f"{type(exc).__name__}: {exc}"
        code = exc.code if ambiguous else "broker_malformed_answer"
        _back_from_submitted(order, OrderStatus.UNKNOWN, f"Ambiguous broker answer; reconciling: {reason}", code=code)
        logger.warning("order %s is UNKNOWN after a broker error: %s", order_id, reason)
        return
    # Sent and accepted, not yet recorded: a crash here is what reconciliation by tag is for.
    faults.point("order_submit.after_broker_call")
    try:
        apply_with_trades(order.account, broker, result, actor="worker")
    except BrokerError as exc:  # reading its fills failed: it stays SUBMITTED, reconciliation finds it by tag
        logger.warning("order %s was accepted but its state could not be read: %s", order_id, exc)


def _back_from_submitted(order: Order, to_status: str, reason: str, *, code: str) -> None:
    with AccountBooks.locked(order.account_id) as books:
        current = books.lock_order(order.id)
        if current.status == OrderStatus.SUBMITTED:
            move(current, to_status, reason, "worker", data={"code": code})
            send_queued_cancel(books, current)


def _settle_rejection(order: Order, code: str, message: str) -> None:
    with AccountBooks.locked(order.account_id) as books:
        current = books.lock_order(order.id)
        if current.status not in TERMINAL:
            end(books, current, OrderStatus.REJECTED, f"Rejected by the broker: {message}", "broker", code=code)
            order_rejection_notify(current, code=code, message=message, late=False)


def _claim_request(order_id: int, status: str) -> Order | None:
    """Take a pending modification or cancellation to the broker, once: a conditional update, as placement does.

    A task delivered again while the first is still at the broker finds the request taken and does nothing.
    """
    claimed = Order.objects.filter(id=order_id, status=status, request_sent_at__isnull=True).update(
        request_sent_at=clock.now()
    )
    return Order.objects.select_related("account", "instrument").get(id=order_id) if claimed else None


def _unclaim(order: Order) -> None:
    """The request certainly did not reach the broker: leave it for the sweep to send again."""
    Order.objects.filter(id=order.id, status=order.status, request_sent_at=order.request_sent_at).update(
        request_sent_at=None
    )


def order_modify_submit(*, order_id: int) -> None:
    order = _claim_request(order_id, OrderStatus.MODIFY_PENDING)
    if order is None or not order.pending_changes:
        return
    changes = order.pending_changes
    broker = broker_for_account(order.account)
    request = ModifyOrderRequest(
        quantity=changes["quantity"],
        order_type=OrderType(changes["order_type"]),
        price=None if changes["price"] is None else Decimal(changes["price"]),
        trigger_price=None if changes["trigger_price"] is None else Decimal(changes["trigger_price"]),
    )
    try:
        result = broker.modify_order(order.broker_order_id, request)
    except BrokerRejected as exc:
        _modify_refused(order, exc.message, broker)
        return
    except BrokerUnavailable:
        _unclaim(order)
        return
    except Exception as exc:
        logger.warning("modify of order %s ambiguous (%s); reconciliation will settle it", order_id, exc)
        return
    apply_with_trades(order.account, broker, result, actor="worker")


def _modify_refused(order: Order, message: str, broker) -> None:
    with AccountBooks.locked(order.account_id) as books:
        current = books.lock_order(order.id)
        if current.status != OrderStatus.MODIFY_PENDING:
            return
        previous = current.pending_changes.get("from_status", OrderStatus.OPEN)
        current.pending_changes = None
        move(current, previous, f"Modification refused: {message}", "broker", fields=("pending_changes",))
        trim_reservation(books, current)
        send_queued_cancel(books, current)
    try:
        apply_with_trades(order.account, broker, broker.order_status(order.broker_order_id), actor="reconciler")
    except BrokerError as exc:  # reconciliation brings the broker's state later
        logger.warning("order %s: cannot read its state after a refused modification: %s", order.id, exc)


def _request_refused(order: Order, exc: BrokerError) -> None:
    """A cancellation the broker refused, and whose order it cannot even report (the session is gone): the
    order is still working there. Back to where it was, with the reason, and the trader is told."""
    with AccountBooks.locked(order.account_id) as books:
        current = books.lock_order(order.id)
        if current.status != OrderStatus.CANCEL_PENDING:
            return
        previous = (current.pending_changes or {}).get("from_status", OrderStatus.OPEN)
        current.pending_changes = None
        reason = f"Cancellation refused by the broker: {exc.message}"
        move(current, previous, reason, "broker", data={"code": exc.code}, fields=("pending_changes",))
        text = f"Order #{current.id} could not be cancelled and may still be working at the broker: {exc.message}"
        order_notice(current, code=exc.code, message=text, level="error")


def order_cancel_submit(*, order_id: int) -> None:
    order = _claim_request(order_id, OrderStatus.CANCEL_PENDING)
    if order is None:
        return
    broker = broker_for_account(order.account)
    try:
        result = broker.cancel_order(order.broker_order_id)
    except BrokerRejected as exc:
        # Most often: it filled first. Take the broker's word for what happened.
        try:
            result = broker.order_status(order.broker_order_id)
        except BrokerError:
            _request_refused(order, exc)  # e.g. the session expired: the broker cannot even be asked
            return
    except BrokerUnavailable:
        _unclaim(order)
        return
    except Exception as exc:
        logger.warning("cancel of order %s ambiguous (%s); reconciliation will settle it", order_id, exc)
        return
    apply_with_trades(order.account, broker, result, actor="worker")
