"""What the orders app tells the live stream: each change of an order, and the funds and positions after a
change of the account's books.

The order lifecycle (every status change and every part fill) and the books (when their block ends) are the
only callers, so nothing that moves an order or money can forget to tell. The events are written once the
transaction commits (notifications.stream_log; an `AccountBooks.locked` block's together), in the shapes
the REST API answers with.
"""

from accounts.selectors import account_owner_id
from marketdata.selectors import instrument_cached_by_id
from notifications.stream_log import stream_publish

from .models import Funds, Order, Position
from .serializers import OrderOutputSerializer


def _publish(account_id: int, topic: str, data: dict) -> None:
    user_id = account_owner_id(account_id)
    if user_id is not None:
        stream_publish(user_id=user_id, topic=topic, data=data)


def order_changed(order: Order, *, from_status: str, reason: str) -> None:
    data = dict(OrderOutputSerializer(order).data)
    data["account"] = order.account_id
    data["change"] = {"from": from_status or None, "to": order.status, "reason": reason}
    _publish(order.account_id, "orders", data)


def funds_changed(funds: Funds) -> None:
    available = funds.cash - funds.reserved - funds.margin_used
    data = {
        "account": funds.account_id,
        "cash": str(funds.cash),
        "reserved": str(funds.reserved),
        "margin_used": str(funds.margin_used),
        "available": str(available),
    }
    _publish(funds.account_id, "funds", data)


def positions_cleared(account_id: int) -> None:
    """Every position of the account went at once (a paper account's reset)."""
    _publish(account_id, "positions", {"account": account_id, "cleared": True})


def position_changed(position: Position) -> None:
    instrument = instrument_cached_by_id(position.instrument_id)
    data = {
        "account": position.account_id,
        "instrument_id": position.instrument_id,
        "exchange": instrument.exchange,
        "symbol": instrument.symbol,
        "product": position.product,
        "net_quantity": position.net_quantity,
        "average_price": str(position.average_price),
        "realised_pnl": str(position.realised_pnl),
        "buy_quantity": position.buy_quantity,
        "sell_quantity": position.sell_quantity,
    }
    _publish(position.account_id, "positions", data)
