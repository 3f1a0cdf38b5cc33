"""Typed domain events, published by the app that knows and received by whoever subscribed.

A lower layer must not import a higher one, and monitoring imports no domain
app: an app defines its events as subclasses of `Event` (a frozen dataclass
with a dotted `name`), publishes them here, and anyone subscribes by name
("risk.rejected") or by prefix ("risk."). Handlers run in the publishing
thread, after the fact; one that fails is logged and never undoes the event.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from . import clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str] = "event"
    account_id: int | None = None
    at: datetime = field(default_factory=clock.now)

    def payload(self) -> dict:
        """The event's fields as plain data (for logs, alerts, notifications)."""
        return {k: v for k, v in self.__dict__.items() if k != "at"}


Handler = Callable[[Event], None]
_handlers: list[tuple[str, Handler]] = []


def subscribe(name: str, handler: Handler) -> None:
    """`name` is an event name, or a prefix ending in "." for a family ("risk.")."""
    if (name, handler) not in _handlers:
        _handlers.append((name, handler))


def publish(event: Event) -> None:
    for name, handler in list(_handlers):
        if event.name == name or (name.endswith(".") and event.name.startswith(name)) or name == "*":
            try:
                handler(event)
            except Exception:
                logger.exception("event handler %s failed for %s", getattr(handler, "__name__", handler), event.name)
