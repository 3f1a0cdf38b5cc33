"""Telling the trader at once: dashboard notifications, and typed events for monitoring to alert on."""

from django.db import transaction

from core import clock, events

from ..events import OrderFilled, OrderRejectedByBroker
from ..models import Notification, Order, Trade


def notification_create(
    *, user_id: int, code: str, message: str, level: str = Notification.Level.INFO, order_id: int | None = None
) -> Notification:
    return Notification.objects.create(
        user_id=user_id, code=code, message=message[:400], level=level, order_id=order_id
    )


def notifications_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Dismiss some (or all) of the user's unread notifications; returns how many."""
    unread = Notification.objects.filter(user=user, read_at=None)
    if notification_ids is not None:
        unread = unread.filter(id__in=notification_ids)
    return unread.update(read_at=clock.now())


def order_rejection_notify(order: Order, *, code: str, message: str, late: bool) -> None:
    """A broker refused the order: a notice for the trader now, an event for monitoring after commit."""
    when = "after accepting it" if late else "when it was sent"
    text = f"Order #{order.id} ({order.side} {order.quantity} {order.instrument.display_name}) was rejected by the broker {when}: {message}"  # noqa: E501
    notification_create(
        user_id=order.user_id, code=code, message=text, level=Notification.Level.ERROR, order_id=order.id
    )
    event = OrderRejectedByBroker(
        order_id=order.id, account_id=order.account_id, user_id=order.user_id, code=code, message=message, late=late
    )
    transaction.on_commit(lambda: events.publish(event))


def order_fill_notify(order: Order, fills: list[Trade]) -> None:
    """An event for notifications after commit (the dashboard shows fills through the order book)."""
    quantity = sum(t.quantity for t in fills)
    average = sum(t.price * t.quantity for t in fills) / quantity
    event = OrderFilled(
        order_id=order.id,
        account_id=order.account_id,
        user_id=order.user_id,
        symbol=order.instrument.symbol,
        side=order.side,
        quantity=quantity,
        average_price=average.quantize(fills[0].price),
        filled_quantity=order.filled_quantity,
        order_quantity=order.quantity,
    )
    transaction.on_commit(lambda: events.publish(event))
