"""What monitoring tells the rest of the platform (the security log and notifications subscribe by name)."""

from dataclasses import dataclass

from core.events import Event


@dataclass(frozen=True, kw_only=True)
class AlertAcknowledged(Event):
    """A staff user acknowledged a firing (or resolved) alert: who, which alert, which rule."""

    name = "monitoring.alert_acknowledged"
    alert_id: int
    rule: str
    user_id: int


@dataclass(frozen=True, kw_only=True)
class AlertNotice(Event):
    """An alert fired, still fires, or resolved: notifications sends `subject` and `details` to the rule's
    addresses. Published inside the evaluation's transaction, so the messages are queued with it."""

    name = "monitoring.alert_notice"
    alert_id: int
    subject: str
    details: dict
    emails: tuple[str, ...]
    webhook_url: str
