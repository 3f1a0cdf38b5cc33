"""The locked unit of work every write to an account's money runs in, and the helpers it uses.

Locking rule, which keeps the money right under concurrency and free of
deadlocks: every transaction that touches an account's money locks its Funds
row first, then its orders and positions. Orders of one account are thereby
serialised at the database; different accounts never wait for each other.

Inside a `locked` block helpers change the funds and orders in memory and
`mark` what they changed; each row is saved once, with exactly those fields,
when the block ends (one UPDATE per row however many steps touched it). The
block also keeps the account's risk usage on the Funds row (orders/risk/
usage.py): what its orders add to the open-order totals is settled when it
ends, from each order as it was locked and as it is now, whatever the steps.
"""

from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction

from core import clock
from core.db import get_or_none
from core.formatting import inr
from marketdata.selectors import instrument_cached_by_id

from .. import metrics as order_metrics
from ..models import Funds, LedgerEntry, Order, OrderEvent, Trade
from ..risk.usage import open_share, open_share_moved, realised_counted

ZERO = Decimal(0)
MONEY_PLACES = Decimal("0.0001")
PRICE_PLACES = Decimal("0.000001")


def money(value: Decimal) -> Decimal:
    return value.quantize(MONEY_PLACES)


def mark(obj, *fields: str) -> None:
    """Remember which fields of a row held by `locked` changed; the row is saved once at the end."""
    obj.__dict__.setdefault("_changed_fields", set()).update(fields)


def _save_marked(*objects) -> None:
    for obj in objects:
        fields = obj.__dict__.pop("_changed_fields", None)
        if fields:
            obj.save(update_fields=[*sorted(fields), "updated_at"])


class Books:
    """What one locked transaction works on: the account's funds and the orders it locked."""

    def __init__(self, funds: Funds) -> None:
        self.funds = funds
        self.orders: list[Order] = []
        self._open_shares: list[tuple[int, Decimal]] = []  # each order's share of the open totals when taken

    def lock_order(self, order_id: int, **filters) -> Order | None:
        order = get_or_none(Order.objects.select_for_update().filter(id=order_id, **filters))
        if order is not None:
            order.instrument = instrument_cached_by_id(order.instrument_id)  # no join: instruments hardly change
            self.track(order)
        return order

    def track(self, order: Order, *, new: bool = False) -> None:
        """An order this block may change (or has just created: `new`)."""
        self.orders.append(order)
        self._open_shares.append((0, ZERO) if new else open_share(order))

    def settle_open_orders(self) -> None:
        for order, before in zip(self.orders, self._open_shares, strict=True):
            mark(self.funds, *open_share_moved(self.funds, before, open_share(order)))


@contextmanager
def locked(account_id: int):
    """A transaction holding the account's funds row locked (always first: no deadlocks)."""
    with transaction.atomic():
        books = Books(Funds.objects.select_for_update().get(account_id=account_id))
        yield books
        books.settle_open_orders()
        _save_marked(*books.orders, books.funds)


def ledger(funds: Funds, kind: str, amount: Decimal, *, trade: Trade | None = None, note: str = "") -> LedgerEntry:
    """Move cash: the one place cash changes, always with its ledger row."""
    funds.cash = money(funds.cash + amount)
    mark(funds, "cash")
    if kind == LedgerEntry.Kind.REALISED_PNL:
        mark(funds, *realised_counted(funds, money(amount), clock.now()))
    return LedgerEntry.objects.create(
        account_id=funds.account_id, kind=kind, amount=money(amount), balance_after=funds.cash, trade=trade, note=note
    )


def reserve(order: Order, funds: Funds, amount: Decimal) -> None:
    order.reserved_amount = money(order.reserved_amount + amount)
    funds.reserved = money(funds.reserved + amount)
    mark(order, "reserved_amount")
    mark(funds, "reserved")


def release(order: Order, funds: Funds, amount: Decimal | None = None) -> None:
    """Give back what the order blocked (all of it, or `amount` of it)."""
    amount = order.reserved_amount if amount is None else min(amount, order.reserved_amount)
    if amount <= 0:
        return
    order.reserved_amount = money(order.reserved_amount - amount)
    funds.reserved = max(ZERO, money(funds.reserved - amount))
    mark(order, "reserved_amount")
    mark(funds, "reserved")


def event(order: Order, from_status: str, to_status: str, reason: str, actor: str, data=None) -> OrderEvent:
    row = OrderEvent.objects.create(
        order=order, from_status=from_status, to_status=to_status, reason=reason[:300], actor=actor, data=data
    )
    order_metrics.order_transition(order, from_status, to_status)
    return row


def move(order: Order, to_status: str, reason: str, actor: str, *, data=None, fields: tuple = ()) -> None:
    """Change the status of an order held in a `locked` block, with its event."""
    previous = order.status
    order.status = to_status
    mark(order, "status", *fields)
    if previous != to_status and order.request_sent_at is not None:
        order.request_sent_at = None  # the pending request is answered: the next one may be claimed
        mark(order, "request_sent_at")
    event(order, previous, to_status, reason, actor, data)


def end(order: Order, funds: Funds, to_status: str, reason: str, actor: str, *, code: str = "") -> None:
    """Terminal without (further) fills: release what is still reserved."""
    if code:
        order.rejection_code, order.rejection_reason = code, reason[:300]
    order.pending_changes = None
    move(order, to_status, reason, actor, fields=("rejection_code", "rejection_reason", "pending_changes"))
    release(order, funds)


def insufficient_funds_message(required: Decimal, available: Decimal, *, extra: bool = False) -> str:
    if extra:
        return (
            f"Insufficient funds for the change: it needs ₹{inr(required)} more and "
            f"₹{inr(max(available, ZERO))} is available."
        )
    return (
        f"Insufficient funds: this order needs ₹{inr(required)} and ₹{inr(max(available, ZERO))} "
        "is available. Reduce the quantity or add funds."
    )
