"""Evaluating the alert rules: fire once the condition has held for the rule's duration, repeat while
firing, resolve when it no longer holds. Beat runs `alert_rules_evaluate` every few seconds."""

import logging
from datetime import timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction

from core import clock, events

from .conditions import condition_value
from .events import AlertAcknowledged, AlertNotice
from .models import Alert, AlertRule

logger = logging.getLogger(__name__)

FIRING, REPEAT, RESOLVED = "firing", "still firing", "resolved"
BANNER_CACHE_KEY = "monitoring:alert-banner"


def alert_rules_evaluate() -> dict[str, str]:
    """Evaluate every enabled rule; returns what happened to each (for logs and tests)."""
    outcome = {}
    for rule_id in AlertRule.objects.filter(enabled=True).values_list("id", flat=True):
        try:
            outcome[str(rule_id)] = alert_rule_evaluate(rule_id=rule_id)
        except Exception:  # one broken condition must not silence the others
            logger.exception("alert rule %s could not be evaluated", rule_id)
            outcome[str(rule_id)] = "error"
    return outcome


@transaction.atomic
def alert_rule_evaluate(*, rule_id: int) -> str:
    rule = AlertRule.objects.select_for_update().get(id=rule_id)
    value = condition_value(rule.condition)
    now = clock.now()
    firing = Alert.objects.filter(rule=rule, resolved_at=None).first()
    rule.last_value, rule.last_evaluated_at = value, now
    if value > rule.threshold:
        outcome = _holding(rule, firing, value, now)
    else:
        rule.pending_since = None
        outcome = _resolve(rule, firing, value, now) if firing else "ok"
    rule.save(update_fields=["pending_since", "last_value", "last_evaluated_at"])
    return outcome


def _holding(rule: AlertRule, firing: Alert | None, value: Decimal, now) -> str:
    if firing is not None:
        firing.value = value
        due = rule.repeat_interval_seconds and now - firing.last_notified_at >= timedelta(
            seconds=rule.repeat_interval_seconds
        )
        if due:
            firing.last_notified_at = now
            _notify(rule, firing, REPEAT)
        firing.save(update_fields=["value", "last_notified_at"])
        return REPEAT if due else "firing (notified before)"
    rule.pending_since = rule.pending_since or now
    if now - rule.pending_since < timedelta(seconds=rule.duration_seconds):
        return "pending"
    alert = Alert.objects.create(rule=rule, fired_at=now, last_notified_at=now, value=value)
    _notify(rule, alert, FIRING)
    return FIRING


def _resolve(rule: AlertRule, alert: Alert, value: Decimal, now) -> str:
    alert.resolved_at, alert.value = now, value
    alert.save(update_fields=["resolved_at", "value"])
    _notify(rule, alert, RESOLVED)
    return RESOLVED


def _notify(rule: AlertRule, alert: Alert, what: str) -> None:
    transaction.on_commit(lambda: cache.delete(BANNER_CACHE_KEY))  # the staff banner shows it at once
    subject = f"[{rule.severity.upper()}] {rule.name}: {what}"
    payload = {
        "kind": "alert",
        "rule": rule.name,
        "condition": rule.condition,
        "severity": rule.severity,
        "state": what,
        "value": str(alert.value),
        "threshold": str(rule.threshold),
        "fired_at": alert.fired_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "alert_id": alert.id,
    }
    # Sending is notifications' (which imports monitoring, never the other way): it queues the messages.
    notice = AlertNotice(
        alert_id=alert.id,
        subject=subject,
        details=payload,
        emails=tuple(rule.email_list()),
        webhook_url=rule.webhook_url,
    )
    events.publish(notice)


def alert_acknowledge(*, alert_ids: list[int], user) -> int:
    """Acknowledge the alerts not yet acknowledged, each with an event for the audit trail."""
    waiting = Alert.objects.filter(id__in=alert_ids, acknowledged_at=None).values_list("id", "rule__name")
    done = 0
    for alert_id, rule in waiting:
        with transaction.atomic():  # the acknowledgement and its record, together
            if Alert.objects.filter(id=alert_id, acknowledged_at=None).update(
                acknowledged_by=user, acknowledged_at=clock.now()
            ):  # a conditional update: of two staff acknowledging at once, one records it
                events.publish(AlertAcknowledged(alert_id=alert_id, rule=rule, user_id=user.pk))
                done += 1
    return done


def alerts_firing() -> list[dict]:
    """Firing alerts for the staff banner (plain data: it is cached)."""
    rows = Alert.objects.filter(resolved_at=None).select_related("rule").order_by("-fired_at")[:10]
    return [
        {
            "name": a.rule.name,
            "severity": a.rule.severity,
            "fired_at": a.fired_at,
            "acknowledged": bool(a.acknowledged_at),
        }
        for a in rows
    ]
