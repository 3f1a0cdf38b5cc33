"""What the brokers app tells the rest of the platform (the security log subscribes by name)."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class BrokerConnected(Event):
    """A log-in at the broker was attempted from the dashboard or API; `status` says how it went."""

    name = "broker.connected"
    broker: str
    client_code: str
    status: str


@dataclass(frozen=True, kw_only=True)
class BrokerDisconnected(Event):
    name = "broker.disconnected"
    broker: str
    client_code: str
