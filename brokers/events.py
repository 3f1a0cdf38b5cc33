"""What the brokers app tells the rest of the platform (notifications and the security log subscribe by name)."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class BrokerSessionExpired(Event):
    """The broker session cannot be renewed: the account is disconnected until the trader logs in again."""

    name = "brokers.session_expired"
    broker: str
    message: str


@dataclass(frozen=True, kw_only=True)
class BrokerConnected(Event):
    """A log-in at the broker was attempted from the dashboard or API; `status` says how it went."""

    name = "brokers.connected"
    broker: str
    client_code: str
    status: str


@dataclass(frozen=True, kw_only=True)
class BrokerDisconnected(Event):
    name = "brokers.disconnected"
    broker: str
    client_code: str
