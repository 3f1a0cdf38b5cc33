"""What the order path tells the rest of the platform about brokers (monitoring subscribes by name:
"orders.position_mismatch", "orders.broker_rejected", or the family "orders.")."""

from dataclasses import dataclass
from decimal import Decimal

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class PositionMismatchFound(Event):
    """Our position and the broker's differ (recorded as orders.PositionMismatch `mismatch_id`)."""

    name = "orders.position_mismatch"
    mismatch_id: int
    exchange: str
    symbol: str
    product: str
    platform_quantity: int
    broker_quantity: int
    platform_average: Decimal | None
    broker_average: Decimal | None


@dataclass(frozen=True, kw_only=True)
class OrderRejectedByBroker(Event):
    """The broker refused an order, at once or after accepting it (`late`)."""

    name = "orders.broker_rejected"
    order_id: int
    user_id: int
    code: str
    message: str
    late: bool


@dataclass(frozen=True, kw_only=True)
class OrderFilled(Event):
    """Some (or the rest) of an order was filled: `quantity` now at `average_price`, `filled_quantity` in all."""

    name = "orders.filled"
    order_id: int
    user_id: int
    symbol: str
    side: str
    quantity: int
    average_price: Decimal
    filled_quantity: int
    order_quantity: int


@dataclass(frozen=True, kw_only=True)
class AccountModeSwitched(Event):
    """A trading account went from paper to live or back (the security log subscribes)."""

    name = "orders.account_mode_switched"
    from_mode: str
    to_mode: str
    broker: str
