"""Typed events a lower layer emits and a higher one subscribes to, without importing it.

The orders app emits `PositionMismatchFound` and `OrderRejectedByBroker`;
monitoring (or anything else) subscribes in its AppConfig.ready with
`subscribe(PositionMismatchFound, handler)`. A failing subscriber is logged
and never undoes the write that emitted the event.
"""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

logger = logging.getLogger(__name__)
_subscribers: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


@dataclass(frozen=True, slots=True)
class PositionMismatchFound:
    """Our position and the broker's differ (recorded as orders.PositionMismatch `mismatch_id`)."""

    mismatch_id: int
    account_id: int
    exchange: str
    symbol: str
    product: str
    platform_quantity: int
    broker_quantity: int
    platform_average: Decimal | None
    broker_average: Decimal | None
    detected_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRejectedByBroker:
    """The broker refused an order, at once or after accepting it (`late`)."""

    order_id: int
    account_id: int
    user_id: int
    code: str
    message: str
    late: bool


def subscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def unsubscribe(event_type: type, handler: Callable[[Any], None]) -> None:
    if handler in _subscribers[event_type]:
        _subscribers[event_type].remove(handler)


def emit(event: object) -> None:
    for handler in list(_subscribers[type(event)]):
        try:
            handler(event)
        except Exception:
            logger.exception("event subscriber %r failed for %s", handler, type(event).__name__)
