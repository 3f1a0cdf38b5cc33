"""Background repair: the outbox sweep and reconciliation with the broker.

Both run from Celery beat. Whatever a lost message, a dead worker or a
missed order update left behind, these find and settle.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings

from brokers.base import BrokerError
from brokers.registry import broker_for_account
from core import clock

from ..models import WORKING, Order, OrderStatus
from .books import locked, move
from .broker_updates import apply_with_trades
from .dispatch import enqueue, enqueue_on_commit

logger = logging.getLogger(__name__)

# Statuses whose request a task carries to the broker; the sweep queues such orders again.
_PENDING_TASKS = {
    OrderStatus.NEW: "broker_place_order",
    OrderStatus.CANCEL_PENDING: "broker_cancel_order",
    OrderStatus.MODIFY_PENDING: "broker_modify_order",
}
# A working order quiet for this long has its status fetched from the broker.
_QUIET = timedelta(seconds=10)


def orders_outbox_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again what a lost message or a dead worker left behind. Duplicates are harmless:
    each task claims its order first. Requests a worker already took to the broker are left to
    reconciliation."""
    stale = (now or clock.now()) - timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    counts = {}
    for status, task in _PENDING_TASKS.items():
        waiting = Order.objects.filter(status=status, updated_at__lt=stale, request_sent_at__isnull=True)
        ids = list(waiting.values_list("id", flat=True)[:500])
        for order_id in ids:
            enqueue(task, order_id)
        counts[status] = len(ids)
    return counts


def orders_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """Compare what we believe with what the broker says, and take the broker's word.

    - UNKNOWN orders, and SUBMITTED ones past the grace period, are looked up
      by tag: found, they take the broker's state (and fills); not found after
      the grace period, they never reached it and go back to NEW to be sent.
    - Working orders not updated for a while get their status and fills
      fetched, which repairs a missed order-update message.
    """
    now = now or clock.now()
    counts = {"found": 0, "resent": 0, "refreshed": 0}
    grace = now - timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS)
    doubtful = Order.objects.filter(status__in=[OrderStatus.UNKNOWN, OrderStatus.SUBMITTED])
    for order in doubtful.select_related("account", "instrument")[:200]:
        outcome = _settle_doubtful(order, grace)
        if outcome:
            counts[outcome] += 1
    working = Order.objects.filter(status__in=WORKING, updated_at__lt=now - _QUIET).exclude(broker_order_id=None)
    for order in working.select_related("account")[:500]:
        if _refresh_working(order):
            counts["refreshed"] += 1
    counts["requests_resent"] = _resend_lost_requests(grace)
    return counts


def _resend_lost_requests(grace: datetime) -> int:
    """A modification or cancellation taken to the broker long ago and still unanswered (its worker died,
    or the answer was lost) is sent again: after the broker's current state was applied above, what is
    still pending was not done, and asking twice to cancel, or to set the same values, is harmless."""
    lost = Order.objects.filter(
        status__in=[OrderStatus.MODIFY_PENDING, OrderStatus.CANCEL_PENDING], request_sent_at__lt=grace
    )
    resent = 0
    for order in lost[:200]:
        released = Order.objects.filter(id=order.id, status=order.status, request_sent_at=order.request_sent_at)
        if released.update(request_sent_at=None):
            enqueue(_PENDING_TASKS[order.status], order.id)
            resent += 1
    return resent


def _settle_doubtful(order: Order, grace: datetime) -> str | None:
    """Look an order of uncertain fate up at the broker: 'found', 'resent' or None (not yet)."""
    if order.status == OrderStatus.SUBMITTED and order.submitted_at and order.submitted_at > grace:
        return None  # the worker may still be waiting for the broker's answer
    broker = broker_for_account(order.account)
    try:
        found = broker.find_order_by_tag(order.broker_tag)
    except BrokerError as exc:
        logger.warning("reconcile: cannot look up %s: %s", order.broker_tag, exc)
        return None
    if found is not None:
        apply_with_trades(order.account, broker, found, actor="reconciler")
        return "found"
    if order.submitted_at is None or order.submitted_at <= grace:
        return "resent" if _send_again(order) else None
    return None


def _send_again(order: Order) -> bool:
    with locked(order.account_id) as books:
        current = books.lock_order(order.id)
        if current.status not in (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED):
            return False
        move(current, OrderStatus.NEW, "Not found at the broker: it never arrived; sending again", "reconciler")
        enqueue_on_commit("broker_place_order", order.id)
    return True


def _refresh_working(order: Order) -> bool:
    broker = broker_for_account(order.account)
    try:
        current = broker.order_status(order.broker_order_id)
    except BrokerError as exc:
        logger.warning("reconcile: cannot refresh order %s: %s", order.id, exc)
        return False
    if current.filled_quantity == order.filled_quantity and current.status.value in ("open", "trigger_pending"):
        return False
    apply_with_trades(order.account, broker, current, actor="reconciler")
    return True
