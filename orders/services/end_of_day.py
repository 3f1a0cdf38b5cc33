"""End of the trading day: DAY orders expire, intraday (MIS) orders and positions are squared off."""

import logging
from datetime import datetime

from accounts.models import TradingAccount
from core import clock
from core.errors import Conflict, InvalidInput, RuleViolation

from ..books import AccountBooks
from ..lifecycle import end, move
from ..models import TERMINAL, Order, OrderStatus, Position, Product, Validity
from .dispatch import enqueue_on_commit
from .modification import MODIFIABLE, order_cancel
from .placement import positions_close

logger = logging.getLogger(__name__)


def orders_expire_day(*, now: datetime | None = None) -> int:
    """DAY orders placed up to `now` (default: now) and still working expire: cancelled at the broker, then EXPIRED.

    An order placed after `now` belongs to the next session and is left alone.
    """
    day_orders = Order.objects.filter(validity=Validity.DAY, created_at__lte=now or clock.now())
    expired = 0
    for order_id, account_id in day_orders.exclude(status__in=TERMINAL).values_list("id", "account_id"):
        with AccountBooks.locked(account_id) as books:
            expired += _expire(books, order_id)
    return expired


def _expire(books, order_id: int) -> int:
    order = books.lock_order(order_id)
    if order.status == OrderStatus.NEW:
        end(books, order, OrderStatus.EXPIRED, "Expired at the end of the day before it was sent", "system")
    elif order.status in MODIFIABLE:
        order.pending_changes = {"expire": True, "from_status": order.status}
        move(order, OrderStatus.CANCEL_PENDING, "End of day", "system", fields=("pending_changes",))
        enqueue_on_commit("broker_cancel_order", order.id)
    else:
        return 0  # in flight at the broker; the next run (or reconciliation) settles it
    return 1


def mis_orders_cancel() -> int:
    """Square-off, step one: cancel working intraday orders so they cannot fill behind our back."""
    count = 0
    working = Order.objects.filter(product=Product.MIS, status__in=MODIFIABLE | {OrderStatus.NEW})
    for order in working.select_related("user"):
        try:
            order_cancel(user=order.user, order=order, reason="Intraday square-off", actor="system")
            count += 1
        except Conflict:
            continue
    return count


def mis_positions_close() -> int:
    """Square-off, step two: close every open intraday position at market."""
    count = 0
    accounts = Position.objects.filter(product=Product.MIS).exclude(net_quantity=0).values_list("account", flat=True)
    for account in TradingAccount.objects.filter(id__in=set(accounts)).select_related("user"):
        try:
            count += len(positions_close(user=account.user, account=account, product=Product.MIS))
        except (RuleViolation, InvalidInput) as exc:
            logger.error("square-off for %s failed: %s", account, exc)
    return count
