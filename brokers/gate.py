"""Can a trading account's broker take an order right now? Asked at placement, before anything is stored,
so the trader hears at once (and in milliseconds) rather than from a task that fails later."""

from dataclasses import dataclass

from accounts.models import TradingAccount

from .base import BrokerRejected, BrokerUnavailable
from .models import BrokerAccount
from .registry import PAPER, broker_name_for
from .resilience import breaker_refusing, breaker_state


def broker_gate(account: TradingAccount) -> None:
    """Raise BrokerUnavailable (`broker_unavailable`) while the account's breaker is open, BrokerRejected
    (`broker_not_connected`, `broker_session_expired`) when the account cannot trade live. Paper: nothing."""
    name = broker_name_for(account)
    if name == PAPER:
        return
    row = BrokerAccount.objects.filter(account_id=account.pk, broker=name).first()
    if row is None or not row.has_credentials:
        raise BrokerRejected(
            "This account has no broker credentials: connect it on the Broker page first.", code="broker_not_connected"
        )
    if breaker_refusing(name, row.pk):
        raise BrokerUnavailable(
            "The broker is not answering; new orders are refused until it is back.", code="broker_unavailable"
        )
    if row.status == BrokerAccount.Status.DISCONNECTED:
        raise BrokerRejected(
            f"Disconnected from the broker, log in again: {row.status_message or 'the session has ended'}",
            code="broker_session_expired",
        )


@dataclass(frozen=True, slots=True)
class BrokerHealth:
    broker: str
    breaker: str  # closed, open, half-open
    down: bool
    session: str  # new, connected, disconnected, or "" for the paper exchange
    message: str


def broker_health(account: TradingAccount) -> BrokerHealth:
    """What the dashboard shows about the account's broker."""
    name = PAPER if account.mode == TradingAccount.Mode.PAPER else account.broker
    row = BrokerAccount.objects.filter(account_id=account.pk).first()
    if name == PAPER or row is None:
        return BrokerHealth(name, "closed", False, row.status if row else "", row.status_message if row else "")
    state = breaker_state(row.broker, row.pk)
    return BrokerHealth(row.broker, state, breaker_refusing(row.broker, row.pk), row.status, row.status_message)
