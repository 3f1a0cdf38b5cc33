"""What the brokers layer tells the rest of the platform (notifications subscribe by name)."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class BrokerSessionExpired(Event):
    """The broker session cannot be renewed: the account is disconnected until the trader logs in again."""

    name = "brokers.session_expired"
    broker: str
    message: str
