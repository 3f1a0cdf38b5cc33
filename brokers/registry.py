"""Picks the broker for a trading account. Brokers register a factory by name.

A paper account only ever gets the paper exchange and a live account only ever
a real broker: whatever the account row says, an order can never cross from
one world to the other.
"""

from collections.abc import Callable

from accounts.models import TradingAccount

from .base import Broker, BrokerRejected

BrokerFactory = Callable[[TradingAccount], Broker]
PAPER = "paper"
_factories: dict[str, BrokerFactory] = {}


class BrokerModeMismatch(BrokerRejected):
    """A paper account asked for a live broker, or a live account for the paper exchange."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="broker_mode_mismatch")


def register_broker(name: str, factory: BrokerFactory) -> None:
    _factories[name] = factory


def registered_brokers() -> list[str]:
    return sorted(_factories)


def broker_name_for(account: TradingAccount) -> str:
    if account.mode == TradingAccount.Mode.PAPER:
        return PAPER  # `broker` names the live broker to use once the account is switched to live
    if account.mode == TradingAccount.Mode.LIVE:
        if account.broker in ("", PAPER):
            raise BrokerModeMismatch(f"Account {account.pk} is live: it cannot trade on the paper exchange.")
        return account.broker
    raise BrokerModeMismatch(f"Account {account.pk} has an unknown mode {account.mode!r}.")


def broker_for_account(account: TradingAccount) -> Broker:
    name = broker_name_for(account)
    try:
        factory = _factories[name]
    except KeyError:
        raise LookupError(f"no broker registered as {name!r}") from None
    broker = factory(account)
    if (broker.name == PAPER) != (account.mode == TradingAccount.Mode.PAPER):
        raise BrokerModeMismatch(f"Account {account.pk} ({account.mode}) was given the {broker.name} broker.")
    return broker
