"""The broker interface every broker implements, with typed requests and answers.

No Django model crosses this boundary: orders talks to brokers in these
dataclasses only, so the paper exchange and Angel One are interchangeable.
"""

import enum
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from core.vocabulary import OrderType, Product, Side, Validity

logger = logging.getLogger(__name__)


# The one vocabulary of orders lives in the kernel (core/vocabulary.py): risk checks it, brokers speak it.


class BrokerStatus(enum.StrEnum):
    """What the broker says about an order (Angel One's vocabulary, normalised)."""

    OPEN = "open"
    TRIGGER_PENDING = "trigger_pending"
    COMPLETE = "complete"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceOrderRequest:
    tag: str  # the platform's order id: how reconciliation finds the order at the broker
    exchange: str
    symbol: str
    token: str
    side: Side
    quantity: int
    order_type: OrderType
    product: Product
    validity: Validity
    price: Decimal | None = None
    trigger_price: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.tag or len(self.tag) > 20:
            raise ValueError("the order tag must be 1 to 20 characters")


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifyOrderRequest:
    quantity: int
    order_type: OrderType
    price: Decimal | None = None
    trigger_price: Decimal | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerTrade:
    trade_id: str
    broker_order_id: str
    tag: str
    side: Side
    quantity: int
    price: Decimal
    executed_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerOrder:
    broker_order_id: str
    tag: str
    status: BrokerStatus
    quantity: int
    filled_quantity: int = 0
    average_price: Decimal | None = None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    order_type: OrderType | None = None
    message: str = ""
    updated_at: datetime | None = None
    # The exchange's algorithm identifier the order was sent under (live brokers; see BROKER_ALGO_ID).
    algo_id: str = ""
    # What the order is for: needed to show an order the platform did not place (external orders).
    exchange: str = ""
    symbol: str = ""
    side: str = ""
    product: str = ""
    # True when the broker handed exactly this state to the order-update listeners, and each of them took
    # it, before answering (the paper exchange does): the caller has nothing left to apply.
    reported: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdate:
    """Pushed by a broker whenever an order changes: the one path fills take."""

    account_id: int
    order: BrokerOrder
    trades: tuple[BrokerTrade, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerPosition:
    exchange: str
    symbol: str
    product: Product
    net_quantity: int
    average_price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerFunds:
    available: Decimal | None
    used_margin: Decimal | None
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerQuote:
    exchange: str
    symbol: str
    ltp: Decimal
    bid: Decimal | None = None
    ask: Decimal | None = None


# --- Errors: what a caller may safely do next depends on which one it is --------------


class BrokerError(Exception):
    def __init__(self, message: str, *, code: str = "broker_error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class BrokerRejected(BrokerError):
    """The broker definitely refused the request (bad symbol, blocked client, ...)."""


class BrokerUnavailable(BrokerError):
    """The request definitely did not reach the broker (circuit open, connection refused, rate limit)."""


class BrokerAmbiguous(BrokerError):
    """The request may or may not have taken effect (timeout after sending, 5xx): never retry blindly."""


class Broker(ABC):
    name: str

    @abstractmethod
    def place_order(self, request: PlaceOrderRequest) -> BrokerOrder: ...

    @abstractmethod
    def modify_order(self, broker_order_id: str, request: ModifyOrderRequest) -> BrokerOrder: ...

    @abstractmethod
    def cancel_order(self, broker_order_id: str) -> BrokerOrder: ...

    @abstractmethod
    def order_book(self) -> list[BrokerOrder]: ...

    @abstractmethod
    def order_status(self, broker_order_id: str) -> BrokerOrder: ...

    @abstractmethod
    def find_order_by_tag(self, tag: str) -> BrokerOrder | None: ...

    @abstractmethod
    def trades(self, broker_order_id: str | None = None) -> list[BrokerTrade]: ...

    @abstractmethod
    def positions(self) -> list[BrokerPosition]: ...

    @abstractmethod
    def holdings(self) -> list[BrokerPosition]: ...

    @abstractmethod
    def funds(self) -> BrokerFunds: ...

    @abstractmethod
    def quotes(self, keys: list[tuple[str, str]]) -> list[BrokerQuote]: ...

    @abstractmethod
    def candles(self, exchange: str, symbol: str, interval: str, start: datetime, end: datetime) -> list[dict]: ...

    # --- For reconciliation: one order-book read answers for every order of the account ---

    def orders_by_tag(self) -> dict[str, BrokerOrder]:
        """Every order at the broker that carries a tag, by tag (the latest when a tag repeats)."""
        return {order.tag: order for order in self.order_book() if order.tag}

    def external_orders(self, is_ours: Callable[[str], bool] = bool) -> list[BrokerOrder]:
        """Orders at the broker that the platform did not place (no tag of ours: the broker's own app, ...)."""
        return [order for order in self.order_book() if not is_ours(order.tag)]


# --- The stream of order updates --------------------------------------------------------

UpdateListener = Callable[[OrderUpdate], None]


@dataclass
class OrderUpdateBus:
    """Brokers publish order updates here; the orders app subscribes in its AppConfig.ready."""

    listeners: list[UpdateListener] = field(default_factory=list)

    def subscribe(self, listener: UpdateListener) -> None:
        if listener not in self.listeners:
            self.listeners.append(listener)

    def publish(self, update: OrderUpdate) -> bool:
        """Whether every listener took the update. The broker's own record is already written: a failing
        listener is logged and repaired by reconciliation, never allowed to undo it."""
        delivered = True
        for listener in self.listeners:
            try:
                listener(update)
            except Exception:
                logger.exception("order update listener failed for %s", update.order.tag)
                delivered = False
        return delivered


order_updates = OrderUpdateBus()
