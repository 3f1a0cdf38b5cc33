"""Typed domain events, published by the app that knows and received by whoever subscribed.

A lower layer must not import a higher one, and monitoring imports no domain
app: an app defines its events as subclasses of `Event` (a frozen dataclass
with a dotted `name`), publishes them here, and anyone subscribes by name
("risk.rejected") or by prefix ("risk."). Handlers run in the publishing
thread, after the fact; one that fails is logged and never undoes the event.

Defining an `Event` subclass registers its name: this registry is the one
list of event names. Each app's apps.py imports its events module, so every
name is registered before any app subscribes in ready(); `subscribe` refuses
a name (or a prefix) that no event has, and `publish` an event whose class
is not the one registered under its name, so a typo fails at once instead of
never being heard. Names are "<app>.<what happened>"; the few that leave the
platform (webhook event types, notices) keep their historical spelling.
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

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _register(cls)

    def payload(self) -> dict:
        """The event's fields as plain data (for logs, alerts, notifications)."""
        return {k: v for k, v in self.__dict__.items() if k != "at"}


Handler = Callable[[Event], None]
_handlers: list[tuple[str, Handler]] = []
_registry: dict[str, type[Event]] = {}


class UnknownEvent(LookupError):
    """A name no event class has: a typo, or an events module its app never imported."""


def _register(cls: type[Event]) -> None:
    known = _registry.get(cls.name)
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"event name {cls.name!r} is already {known.__module__}.{known.__qualname__}'s")
    _registry[cls.name] = cls


def registered() -> dict[str, type[Event]]:
    """Every event name and the class that carries it."""
    return dict(_registry)


def subscribe(name: str, handler: Handler) -> None:
    """`name` is an event name, or a prefix ending in "." for a family ("risk.")."""
    _check_subscribable(name)
    if (name, handler) not in _handlers:
        _handlers.append((name, handler))


def _check_subscribable(name: str) -> None:
    if name == "*" or name in _registry:
        return
    if name.endswith(".") and any(known.startswith(name) for known in _registry):
        return
    raise UnknownEvent(f"no event is named {name!r}; known: {', '.join(sorted(_registry))}")


def publish(event: Event) -> None:
    if _registry.get(event.name) is not type(event):
        raise UnknownEvent(f"{type(event).__qualname__} publishes {event.name!r}, which is not its registered name")
    for name, handler in list(_handlers):
        if event.name == name or (name.endswith(".") and event.name.startswith(name)) or name == "*":
            try:
                handler(event)
            except Exception:
                logger.exception("event handler %s failed for %s", getattr(handler, "__name__", handler), event.name)
