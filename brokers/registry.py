"""Picks the broker for a trading account. Brokers register a factory by name."""

from collections.abc import Callable

from accounts.models import TradingAccount

from .base import Broker

BrokerFactory = Callable[[TradingAccount], Broker]
_factories: dict[str, BrokerFactory] = {}


def register_broker(name: str, factory: BrokerFactory) -> None:
    _factories[name] = factory


def broker_for_account(account: TradingAccount) -> Broker:
    name = "paper" if account.mode == TradingAccount.Mode.PAPER else account.broker
    try:
        factory = _factories[name]
    except KeyError:
        raise LookupError(f"no broker registered as {name!r}") from None
    return factory(account)
