"""What the dashboard's order views share: sizes, the statuses that offer actions, small lookups."""

from accounts.chosen import request_account
from core.errors import NotFound
from core.forms import split_errors
from core.views import not_found

from .. import selectors, services
from ..models import OrderStatus

# The event every live table on the page listens for (see core.htmx.partial).
ORDERS_CHANGED = "ordersChanged"
ORDER_BOOK_SIZE = 100
TRADES_SHOWN = 50
LEDGER_SHOWN = 50
# Cancel is offered on NEW too: the service cancels at once an order no broker has seen yet.
CANCELLABLE = services.MODIFIABLE | {OrderStatus.NEW}
PENDING = {OrderStatus.MODIFY_PENDING, OrderStatus.CANCEL_PENDING}

__all__ = [
    "CANCELLABLE",
    "LEDGER_SHOWN",
    "ORDERS_CHANGED",
    "ORDER_BOOK_SIZE",
    "PENDING",
    "TRADES_SHOWN",
    "funds_or_none",
    "not_found",
    "request_account",
    "split_errors",
    "with_value",
]


def funds_or_none(request):
    try:
        return selectors.funds_for_user(user=request.user, account=request_account(request))
    except NotFound:
        return None  # no trading account yet: the page says so


def with_value(trades) -> list:
    trades = list(trades)
    for trade in trades:
        trade.value = trade.quantity * trade.price
    return trades
