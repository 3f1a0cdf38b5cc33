"""Background repair: the outbox sweep and reconciliation with the broker.

Both run from Celery beat (and reconciliation once more when a worker starts).
Whatever a lost message, a dead worker, a lost answer or a missed order update
left behind, these find and settle.
"""

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from accounts.models import TradingAccount
from brokers.base import Broker, BrokerError, BrokerOrder, BrokerTrade, OrderUpdate
from brokers.models import BrokerAccount
from brokers.registry import PAPER, broker_for_account
from core import clock

from ..books import AccountBooks
from ..lifecycle import end, move
from ..models import WORKING, Order, OrderEvent, OrderStatus
from .broker_books import external_orders_record, positions_compare
from .broker_updates import already_applied, apply_with_trades, order_apply_update, order_id_from_tag
from .dispatch import enqueue, enqueue_on_commit
from .notices import order_rejection_notify

logger = logging.getLogger(__name__)

# Statuses whose request a task carries to the broker; the sweep queues such orders again.
_PENDING_TASKS = {
    OrderStatus.NEW: "broker_place_order",
    OrderStatus.CANCEL_PENDING: "broker_cancel_order",
    OrderStatus.MODIFY_PENDING: "broker_modify_order",
}
DOUBTFUL = (OrderStatus.UNKNOWN, OrderStatus.SUBMITTED)
# A paper order quiet for this long has its status fetched (live orders are matched on every sweep).
_QUIET = timedelta(seconds=10)
_BATCH = 500


def orders_outbox_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue again what a lost message or a dead worker left behind. Duplicates are harmless:
    each task claims its order first. Requests a worker already took to the broker are left to
    reconciliation."""
    now = now or clock.now()
    stale = now - timedelta(seconds=settings.OUTBOX_RESEND_AFTER_SECONDS)
    counts = {}
    for status, task in _PENDING_TASKS.items():
        waiting = Order.objects.filter(status=status, updated_at__lt=stale, request_sent_at__isnull=True)
        ids = list(waiting.values_list("id", flat=True)[:_BATCH])
        # Queued again at most once a period: behind a backlog, every sweep re-queueing every waiting
        # order would multiply the backlog.
        Order.objects.filter(id__in=ids, status=status).update(updated_at=now)
        for order_id in ids:
            enqueue(task, order_id)
        counts[status] = len(ids)
    return counts


def orders_reconcile(*, now: datetime | None = None, renew: Callable[[], None] = lambda: None) -> dict[str, int]:
    """Compare what we believe with what the broker says, and take the broker's word.

    Per account, one look at the broker's order book (live brokers; the paper
    exchange is asked order by order, its book being a table here):
    - UNKNOWN orders, and SUBMITTED ones past the grace period, found by tag take
      the broker's state and fills; proven absent after the grace period they never
      arrived: sent again once, and REJECTED (`broker_order_lost`) if a second
      attempt is not there either;
    - working orders take the broker's state and fills when they differ (a missed
      order update, a late rejection);
    - live accounts also record orders placed outside the platform and compare positions.
    """
    now = now or clock.now()
    grace = now - timedelta(seconds=settings.ORDER_SUBMIT_GRACE_SECONDS)
    counts = Counter(found=0, resent=0, refreshed=0)
    for account in _accounts_to_reconcile(now):
        renew()  # the caller's lease on "one run at a time"
        try:
            broker = broker_for_account(account)
        except (BrokerError, LookupError) as exc:
            logger.warning("reconcile: no broker for account %s: %s", account.id, exc)
            continue
        if broker.name == PAPER:
            _reconcile_paper(account, broker, now, grace, counts)
        else:
            _reconcile_live(account, broker, now, grace, counts)
    counts["requests_resent"] = _resend_lost_requests(grace)
    return dict(counts)


def _accounts_to_reconcile(now: datetime):
    live = Q(account__mode=TradingAccount.Mode.LIVE)
    with_orders = Order.objects.filter(
        Q(status__in=DOUBTFUL) | Q(status__in=WORKING) & (live | Q(updated_at__lt=now - _QUIET))
    ).values_list("account_id", flat=True)
    connected = BrokerAccount.objects.filter(
        status=BrokerAccount.Status.CONNECTED, account__mode=TradingAccount.Mode.LIVE
    ).values_list("account_id", flat=True)
    return TradingAccount.objects.filter(id__in={*with_orders.distinct(), *connected}).order_by("id")


def _open_orders(account: TradingAccount, statuses) -> list[Order]:
    return list(Order.objects.filter(account=account, status__in=statuses).select_related("account")[:_BATCH])


# --- Live brokers: one order-book read per account ------------------------------------------


class _Trades:
    """The account's trade book, read once per sweep and only if a fill needs it."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._by_order: dict[str, list[BrokerTrade]] | None = None

    def of(self, found: BrokerOrder) -> tuple[BrokerTrade, ...]:
        if not found.filled_quantity:
            return ()
        if self._by_order is None:
            self._by_order = {}  # read once: if the read fails, completed orders wait for the next sweep
            for trade in self.broker.trades():
                self._by_order.setdefault(trade.broker_order_id, []).append(trade)
        return tuple(self._by_order.get(found.broker_order_id, ()))


def _reconcile_live(account: TradingAccount, broker: Broker, now: datetime, grace: datetime, counts: Counter) -> None:
    orders = _open_orders(account, (*DOUBTFUL, *WORKING))  # read before the book: the book is newer
    try:
        book = broker.order_book()
    except BrokerError as exc:
        logger.warning("reconcile: cannot read the order book of account %s: %s", account.id, exc)
        return
    by_tag = _by_tag(book)
    trades = _Trades(broker)
    for order in orders:
        found = by_tag.get(order.broker_tag)
        try:
            outcome = _settle_from_book(order, found, grace, trades)
        except BrokerError as exc:
            logger.warning("reconcile: cannot settle order %s: %s", order.id, exc)
            continue
        if outcome:
            counts[outcome] += 1
    counts["external"] += external_orders_record(account=account, book=book, is_ours=_is_ours, now=now)
    counts["mismatches"] += positions_compare(account=account, broker=broker, now=now)


def _by_tag(book: list[BrokerOrder]) -> dict[str, BrokerOrder]:
    found: dict[str, BrokerOrder] = {}
    for order in book:
        # A tag seen twice (it must not be) answers with the order that got furthest.
        if order.tag and (order.tag not in found or found[order.tag].status == "rejected"):
            found[order.tag] = order
    return found


def _is_ours(tag: str) -> bool:
    return order_id_from_tag(tag) is not None


def _settle_from_book(order: Order, found: BrokerOrder | None, grace: datetime, trades: _Trades) -> str | None:
    if order.status == OrderStatus.SUBMITTED and not _past_grace(order, grace):
        return None  # the worker may still be waiting for the broker's answer
    if found is not None:
        if already_applied(order.id, found):
            return None
        update = OrderUpdate(account_id=order.account_id, order=found, trades=trades.of(found))
        order_apply_update(update=update, actor="reconciler")
        return "found" if order.status in DOUBTFUL else "refreshed"
    if order.status in DOUBTFUL and _past_grace(order, grace):
        return _send_again_or_reject(order)
    if order.status not in DOUBTFUL and order.broker_order_id:
        logger.error("reconcile: working order %s (%s) is not in the broker's book", order.id, order.broker_tag)
    return None


def _past_grace(order: Order, grace: datetime) -> bool:
    return order.submitted_at is None or order.submitted_at <= grace


# --- The paper exchange: its book is a table, asked order by order --------------------------


def _reconcile_paper(account: TradingAccount, broker: Broker, now: datetime, grace: datetime, counts) -> None:
    for order in _open_orders(account, DOUBTFUL):
        outcome = _settle_doubtful(order, broker, grace)
        if outcome:
            counts[outcome] += 1
    quiet = Order.objects.filter(account=account, status__in=WORKING, updated_at__lt=now - _QUIET)
    for order in quiet.exclude(broker_order_id=None).select_related("account")[:_BATCH]:
        if _refresh_working(order, broker):
            counts["refreshed"] += 1


def _settle_doubtful(order: Order, broker: Broker, grace: datetime) -> str | None:
    """Look an order of uncertain fate up at the broker: 'found', 'resent', 'rejected' or None (not yet)."""
    if order.status == OrderStatus.SUBMITTED and not _past_grace(order, grace):
        return None
    try:
        found = broker.find_order_by_tag(order.broker_tag)
    except BrokerError as exc:
        logger.warning("reconcile: cannot look up %s: %s", order.broker_tag, exc)
        return None
    if found is not None:
        apply_with_trades(order.account, broker, found, actor="reconciler")
        return "found"
    return _send_again_or_reject(order) if _past_grace(order, grace) else None


def _refresh_working(order: Order, broker: Broker) -> bool:
    try:
        current = broker.order_status(order.broker_order_id)
    except BrokerError as exc:
        logger.warning("reconcile: cannot refresh order %s: %s", order.id, exc)
        return False
    if current.filled_quantity == order.filled_quantity and current.status.value in ("open", "trigger_pending"):
        return False
    apply_with_trades(order.account, broker, current, actor="reconciler")
    return True


# --- Proven absent: send again once, then give up -------------------------------------------


def _send_again_or_reject(seen: Order) -> str | None:
    """The order never reached the broker. The first time, it is sent again; if the second attempt is
    absent too, it is REJECTED so that nothing stays pending forever (and funds are released)."""
    with AccountBooks.locked(seen.account_id) as books:
        current = books.lock_order(seen.id)
        # Another sweep may have sent it again since we looked: then our view of the book is stale.
        if current.status != seen.status or current.submitted_at != seen.submitted_at:
            return None
        if _resent_before(current):
            message = "Not at the broker after a second attempt: it never arrived, nothing was traded"
            end(books, current, OrderStatus.REJECTED, message, "reconciler", code="broker_order_lost")
            order_rejection_notify(current, code="broker_order_lost", message=message, late=False)
            return "rejected"
        move(current, OrderStatus.NEW, "Not found at the broker: it never arrived; sending again", "reconciler")
        enqueue_on_commit("broker_place_order", current.id)
    return "resent"


def _resent_before(order: Order) -> bool:
    return OrderEvent.objects.filter(order=order, actor="reconciler", to_status=OrderStatus.NEW).exists()


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
