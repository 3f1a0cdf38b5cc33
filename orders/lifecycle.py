"""The order lifecycle: every allowed status change, declared once, and the functions that apply them.

`TRANSITIONS` maps each status to the statuses it may move to, each with why. `PLACED` ("") is where an
order comes from: the statuses it may be stored with. A status with no moves out is terminal. Nothing
else writes `Order.status` (tests/orders/test_lifecycle.py walks the project to hold it so):

- `begin` stores a new order with its first status;
- `move` changes an order held under its account's lock (orders.books.AccountBooks.locked), `end` moves
  it to a terminal status and releases what it still reserves;
- `claim` moves an order nobody holds by one conditional UPDATE (of two workers, one wins);
- `move_simulated` moves a backtest's simulated order (no row) by the same table.

Each appends an OrderEvent (who, when, from, to, why) and refuses a change not in the table with
`IllegalTransition` (code `illegal_transition`). States that later features add (an AMO order waiting
for the open, a parent order whose children are slices or basket legs, a trigger that fired) join by
adding their status to OrderStatus and their rows here; the tests then ask for every one of them.

`transitions_markdown()` renders the table for docs/architecture.md.
"""

from collections.abc import Callable

from core.errors import Conflict

from . import metrics as order_metrics
from . import stream
from .books import AccountBooks, mark
from .models import Order, OrderEvent, OrderStatus

S = OrderStatus
PLACED = ""  # not a status: the row of the statuses a new order may be stored with

_BROKER_ANSWERS_AN_EARLIER_ATTEMPT = "the broker answers an attempt that reconciliation had given up as lost: "

TRANSITIONS: dict[str, dict[str, str]] = {
    PLACED: {
        S.NEW: "accepted at placement: checked, funds reserved, waiting for a worker to send it",
        S.REJECTED: "refused at placement by a risk limit, kept in the book with the limit that refused it",
    },
    S.NEW: {
        S.SUBMITTED: "a worker claimed it and is sending it to the broker (once: a conditional update)",
        S.CANCELLED: "cancelled before any broker saw it (or the broker cancelled an earlier attempt)",
        S.EXPIRED: "the day ended before it was sent (or the broker expired an earlier attempt)",
        S.OPEN: _BROKER_ANSWERS_AN_EARLIER_ATTEMPT + "it is working",
        S.TRIGGER_PENDING: _BROKER_ANSWERS_AN_EARLIER_ATTEMPT + "it waits for its trigger",
        S.PARTIALLY_FILLED: _BROKER_ANSWERS_AN_EARLIER_ATTEMPT + "it partly filled",
        S.FILLED: _BROKER_ANSWERS_AN_EARLIER_ATTEMPT + "it filled",
        S.REJECTED: _BROKER_ANSWERS_AN_EARLIER_ATTEMPT + "it was refused",
    },
    S.SUBMITTED: {
        S.OPEN: "the broker accepted it",
        S.TRIGGER_PENDING: "the broker accepted a stop order; it waits for its trigger",
        S.PARTIALLY_FILLED: "the broker's answer already carries part fills",
        S.FILLED: "filled at once",
        S.REJECTED: "refused by the broker, or not at the broker after a second attempt (broker_order_lost)",
        S.CANCELLED: "the broker reports it cancelled",
        S.EXPIRED: "an IOC order's unfilled remainder was cancelled by the exchange",
        S.NEW: "the broker was certainly not reached (or reconciliation proved it absent): to be sent again",
        S.UNKNOWN: "the broker's answer was ambiguous (timeout, 5xx): reconciliation looks it up by its tag",
    },
    S.UNKNOWN: {
        S.OPEN: "reconciliation found it working at the broker",
        S.TRIGGER_PENDING: "reconciliation found it waiting for its trigger",
        S.PARTIALLY_FILLED: "reconciliation found it partly filled",
        S.FILLED: "reconciliation found it filled",
        S.REJECTED: "found refused by the broker, or not at the broker after a second attempt (broker_order_lost)",
        S.CANCELLED: "reconciliation found it cancelled",
        S.EXPIRED: "reconciliation found an IOC remainder cancelled",
        S.NEW: "reconciliation proved it never arrived: sent again, once",
    },
    S.OPEN: {
        S.PARTIALLY_FILLED: "part of it filled",
        S.FILLED: "filled",
        S.TRIGGER_PENDING: "the broker reports it waiting for its trigger",
        S.MODIFY_PENDING: "the trader asked for a change; the broker has not answered yet",
        S.CANCEL_PENDING: "a cancel (the trader's, the kill switch's, the day's end) went to the broker",
        S.CANCELLED: "the broker or the exchange cancelled it",
        S.EXPIRED: "an IOC order's unfilled remainder was cancelled",
        S.REJECTED: "refused by the broker after it was accepted (a late rejection: the trader is told at once)",
    },
    S.TRIGGER_PENDING: {
        S.OPEN: "its trigger was reached: it rests as a limit order",
        S.PARTIALLY_FILLED: "triggered and partly filled",
        S.FILLED: "triggered and filled",
        S.MODIFY_PENDING: "the trader asked for a change; the broker has not answered yet",
        S.CANCEL_PENDING: "a cancel (the trader's, the kill switch's, the day's end) went to the broker",
        S.CANCELLED: "the broker or the exchange cancelled it",
        S.EXPIRED: "an IOC order's remainder was cancelled",
        S.REJECTED: "refused by the broker after it was accepted (a late rejection)",
    },
    S.PARTIALLY_FILLED: {
        S.FILLED: "the rest filled",
        S.MODIFY_PENDING: "the trader asked for a change; the broker has not answered yet",
        S.CANCEL_PENDING: "a cancel of the rest (the trader's, the kill switch's, the day's end) went to the broker",
        S.CANCELLED: "the broker or the exchange cancelled the rest",
        S.EXPIRED: "an IOC order's unfilled remainder was cancelled",
        S.REJECTED: "the broker refused the rest (a late rejection)",
    },
    S.MODIFY_PENDING: {
        S.OPEN: "the broker confirmed the change, or refused it: working as before",
        S.TRIGGER_PENDING: "the broker confirmed the change (or refused it): it waits for its trigger",
        S.PARTIALLY_FILLED: "the broker confirmed the change (or refused it); part of it is filled",
        S.FILLED: "it filled before or after the change",
        S.CANCELLED: "the broker or the exchange cancelled it meanwhile",
        S.EXPIRED: "an IOC order's remainder was cancelled meanwhile",
        S.REJECTED: "the broker refused the order meanwhile (a late rejection)",
    },
    S.CANCEL_PENDING: {
        S.CANCELLED: "the broker confirmed the cancellation",
        S.EXPIRED: "the day's end cancellation was confirmed (or an IOC remainder was cancelled)",
        S.FILLED: "it filled before the cancellation reached the exchange",
        S.REJECTED: "the broker refused the order meanwhile (a late rejection)",
        S.OPEN: "the broker refused the cancellation: back to where it was",
        S.TRIGGER_PENDING: "the broker refused the cancellation: back to waiting for its trigger",
        S.PARTIALLY_FILLED: "the broker refused the cancellation: back to partly filled",
    },
    # Terminal: nothing moves out of these.
    S.FILLED: {},
    S.CANCELLED: {},
    S.REJECTED: {},
    S.EXPIRED: {},
}


# Plain strings, for whoever reads the table (the docs, JSON).
TRANSITIONS = {str(source): {str(to): why for to, why in moves.items()} for source, moves in TRANSITIONS.items()}


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = "The order cannot make that status change."


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, ())


def check(from_status: str, to_status: str, *, order_id: int | None = None) -> None:
    """Refuse a status change the table does not declare."""
    if not allowed(from_status, to_status):
        which = f"Order #{order_id}" if order_id else "An order"
        raise IllegalTransition(f"{which} cannot move from {from_status or 'placement'} to {to_status}.")


def begin(order: Order, status: str, reason: str, actor: str, *, store: Callable[[Order], Order]) -> Order:
    """A new order with its first status: `store` inserts it (AccountBooks.store_order), then its first event."""
    check(PLACED, status)
    order.status = status
    store(order)
    _record(order, PLACED, status, reason, actor)
    return order


def move(order: Order, to_status: str, reason: str, actor: str, *, data=None, fields: tuple = ()) -> None:
    """Change the status of an order held under its account's lock; `fields`: the order's other fields the
    caller changed with it (saved in the same UPDATE when the block ends)."""
    previous = order.status
    check(previous, to_status, order_id=order.id)
    order.status = to_status
    mark(order, "status", *fields)
    if order.request_sent_at is not None:
        order.request_sent_at = None  # the pending request is answered: the next one may be claimed
        mark(order, "request_sent_at")
    _record(order, previous, to_status, reason, actor, data)


def end(books: AccountBooks, order: Order, to_status: str, reason: str, actor: str, *, code: str = "") -> None:
    """To a terminal status without (further) fills: release what the order still reserves."""
    if code:
        order.rejection_code, order.rejection_reason = code, reason[:300]
    order.pending_changes = None
    move(order, to_status, reason, actor, fields=("rejection_code", "rejection_reason", "pending_changes"))
    books.release(order)


def claim(
    order_id: int, from_status: str, to_status: str, reason: str, actor: str, *, load: Callable[[int], Order], **fields
) -> Order | None:
    """Move an order no lock holds, by one conditional UPDATE (with `fields`): of two workers holding the same
    task, one wins. Returns the order as `load` reads it after the move, or None if it was not `from_status`."""
    check(from_status, to_status, order_id=order_id)
    if not Order.objects.filter(id=order_id, status=from_status).update(status=to_status, **fields):
        return None
    order = load(order_id)
    _record(order, from_status, to_status, reason, actor)
    return order


def move_simulated(order, to_status: str) -> None:
    """A backtest's simulated order (strategies/engine: no row, no lock, no history) follows the same table,
    so a backtest cannot do with an order what the platform would refuse."""
    check(order.status, to_status)
    order.status = to_status


def note(order: Order, reason: str, actor: str, data=None) -> OrderEvent:
    """Something happened to the order that leaves its status as it is (a part fill while a request is
    pending, a cancel queued behind the broker's answer): in its history all the same."""
    return _record(order, order.status, order.status, reason, actor, data)


def _record(order: Order, from_status: str, to_status: str, reason: str, actor: str, data=None) -> OrderEvent:
    row = OrderEvent.objects.create(
        order=order, from_status=from_status, to_status=to_status, reason=reason[:300], actor=actor, data=data
    )
    order_metrics.order_transition(order, from_status, to_status)
    stream.order_changed(order, from_status=from_status, reason=row.reason)
    return row


def transitions_markdown() -> str:
    """The table as Markdown, for docs/architecture.md."""
    lines = ["| From | To | Why |", "|---|---|---|"]
    for source, moves in TRANSITIONS.items():
        shown = source or "(placed)"
        if not moves:
            lines.append(f"| {shown} | (terminal) | |")
        for target, why in moves.items():
            lines.append(f"| {shown} | {target} | {why} |")
    return "\n".join(lines) + "\n"
