"""What monitoring tells the rest of the platform (the security log subscribes by name)."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(Event):
    """A staff user acknowledged a firing (or resolved) alert: who, which alert, which rule."""

    name = "monitoring.alert_acknowledged"
    alert_id: int
    rule: str
    user_id: int
