"""Telling the trader at once: dashboard notices (the notifications app keeps them), and typed events for
monitoring and the other channels."""

from django.db import transaction

from core import events
from core.formatting import price, quantity
from notifications.models import Notification
from notifications.services import in_app_fills_wanted, notification_create

from ..events import OrderFilled, OrderRejectedByBroker
from ..models import Order, Side, Trade


def order_notice(order: Order, *, code: str, message: str, level: str = Notification.Level.INFO) -> None:
    """A dashboard notice about the order, on its account."""
    notification_create(
        user_id=order.user_id, account_id=order.account_id, code=code, message=message, level=level, order_id=order.id
    )


def order_rejection_notify(order: Order, *, code: str, message: str, late: bool) -> None:
    """A broker refused the order: a notice for the trader now, an event for monitoring after commit."""
    when = "after accepting it" if late else "when it was sent"
    text = f"Order #{order.id} ({order.side} {order.quantity} {order.instrument.display_name}) was rejected by the broker {when}: {message}"  # noqa: E501
    order_notice(order, code=code, message=text, level=Notification.Level.ERROR)
    event = OrderRejectedByBroker(
        order_id=order.id, account_id=order.account_id, user_id=order.user_id, code=code, message=message, late=late
    )
    transaction.on_commit(lambda: events.publish(event))


def order_fill_notify(order: Order, fills: list[Trade]) -> None:
    """A notice on the trader's dashboard (unless they turned it off), and an event for the other channels
    after commit. A resting order fills while the trader is on any page: the notice reaches them there."""
    filled = sum(t.quantity for t in fills)
    average = (sum(t.price * t.quantity for t in fills) / filled).quantize(fills[0].price)
    if in_app_fills_wanted(order.user_id, order.account_id):
        order_notice(order, code="order_filled", message=_fill_text(order, filled, average))
    event = OrderFilled(
        order_id=order.id,
        account_id=order.account_id,
        user_id=order.user_id,
        symbol=order.instrument.symbol,
        side=order.side,
        quantity=filled,
        average_price=average,
        filled_quantity=order.filled_quantity,
        order_quantity=order.quantity,
    )
    transaction.on_commit(lambda: events.publish(event))


def _fill_text(order: Order, filled: int, average) -> str:
    """Bought 5 SBIN at 790.00: order filled. / Sold 2 NIFTY 29 DEC FUT at 26,010.00: 2 of 65 filled."""
    verb = "Bought" if order.side == Side.BUY else "Sold"
    done = order.filled_quantity >= order.quantity
    progress = "order filled" if done else f"{quantity(order.filled_quantity)} of {quantity(order.quantity)} filled"
    return f"{verb} {quantity(filled)} {order.instrument.display_name} at {price(average)}: {progress}."
