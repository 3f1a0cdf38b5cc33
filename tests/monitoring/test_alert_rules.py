"""How a rule behaves over time (duration, repeats, resolution), acknowledging in the admin, and the staff banner."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from monitoring import conditions
from monitoring.alerting import BANNER_CACHE_KEY, alert_rules_evaluate
from monitoring.conditions import register_condition
from monitoring.models import Alert, AlertRule
from notifications.models import Delivery

pytestmark = pytest.mark.django_db
LEVEL = {"value": 0}


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch):
    """Conditions registered here stay here."""
    monkeypatch.setattr(conditions, "_conditions", dict(conditions._conditions))


@pytest.fixture
def rule(db):
    register_condition("test_level", lambda: LEVEL["value"], "a level the test sets")
    AlertRule.objects.update(enabled=False)
    LEVEL["value"] = 0
    return AlertRule.objects.create(
        name="Level high",
        condition="test_level",
        threshold=Decimal("5"),
        duration_seconds=60,
        repeat_interval_seconds=300,
        emails="ops@example.com",
    )


def emails():
    return list(Delivery.objects.order_by("id").values_list("subject", flat=True))


def test_it_fires_only_after_the_condition_held_for_the_duration(rule, frozen_clock):
    LEVEL["value"] = 9
    alert_rules_evaluate()
    frozen_clock.advance(59)
    alert_rules_evaluate()
    assert not Alert.objects.exists()
    frozen_clock.advance(2)
    alert_rules_evaluate()
    assert Alert.objects.get().value == Decimal("9") and emails() == ["[WARNING] Level high: firing"]


def test_a_blip_shorter_than_the_duration_starts_the_wait_again(rule, frozen_clock):
    LEVEL["value"] = 9
    alert_rules_evaluate()
    frozen_clock.advance(50)
    LEVEL["value"] = 1
    alert_rules_evaluate()
    LEVEL["value"] = 9
    frozen_clock.advance(20)
    alert_rules_evaluate()
    assert not Alert.objects.exists()


def test_evaluations_leave_no_audit_entry_while_changes_to_the_rule_do(rule, frozen_clock):
    """Evaluating every 15 s wrote most of the audit trail; the trail is for what people change."""
    from auditlog.models import LogEntry

    before = LogEntry.objects.get_for_object(rule).count()
    for level in (9, 9, 1):
        LEVEL["value"] = level
        alert_rules_evaluate()
        frozen_clock.advance(61)
    assert LogEntry.objects.get_for_object(rule).count() == before
    rule.refresh_from_db()
    rule.threshold = Decimal("7")
    rule.save()
    changed = LogEntry.objects.get_for_object(rule).latest("id")
    assert LogEntry.objects.get_for_object(rule).count() == before + 1
    assert set(changed.changes) == {"threshold"}


def test_it_repeats_at_the_interval_while_firing_and_resolves_once(rule, frozen_clock):
    rule.duration_seconds = 0
    rule.save()
    LEVEL["value"] = 9
    alert_rules_evaluate()
    frozen_clock.advance(200)
    alert_rules_evaluate()  # not yet due
    frozen_clock.advance(101)
    alert_rules_evaluate()
    LEVEL["value"] = 5  # not above the threshold
    alert_rules_evaluate()
    alert_rules_evaluate()
    assert emails() == [
        "[WARNING] Level high: firing",
        "[WARNING] Level high: still firing",
        "[WARNING] Level high: resolved",
    ]
    assert Alert.objects.get().resolved_at is not None


def test_a_condition_that_raises_leaves_the_other_rules_running(rule, frozen_clock):
    register_condition("test_broken", lambda: 1 / 0)
    AlertRule.objects.create(name="Broken", condition="test_broken")
    rule.duration_seconds = 0
    rule.save()
    LEVEL["value"] = 9
    outcome = alert_rules_evaluate()
    assert sorted(outcome.values()) == ["error", "firing"]


def test_staff_acknowledge_alerts_in_the_admin(rule, admin_client, admin_user):
    alert = Alert.objects.create(rule=rule, fired_at=rule.last_evaluated_at or _now(), value=9)
    response = admin_client.post(
        "/admin/monitoring/alert/", {"action": "acknowledge", "_selected_action": [alert.id]}, follow=True
    )
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_by == admin_user and alert.acknowledged_at is not None


def test_an_acknowledgement_goes_to_the_security_log_once(rule, admin_client, admin_user):
    from accounts.models import SecurityEvent
    from accounts.services.security import security_chain_verify

    alert = Alert.objects.create(rule=rule, fired_at=_now(), value=9)
    done = Alert.objects.create(rule=rule, fired_at=_now(), value=7, resolved_at=_now(), acknowledged_at=_now())
    selected = {"action": "acknowledge", "_selected_action": [alert.id, done.id]}
    for _ in range(2):  # the second time there is nothing left to acknowledge
        admin_client.post("/admin/monitoring/alert/", selected)
    recorded = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ALERT_ACKNOWLEDGED)
    assert [(e.user_id, e.username, e.detail) for e in recorded] == [
        (admin_user.pk, admin_user.username, {"account_id": None, "alert_id": alert.id, "rule": "Level high"})
    ]
    assert security_chain_verify().broken is None  # sealed in the chain like every other entry


def test_the_rule_admin_offers_the_registered_conditions(admin_client):
    page = admin_client.get("/admin/monitoring/alertrule/add/")
    assert page.status_code == 200 and b"circuit_open" in page.content and b"worker_heartbeat_age" in page.content


def test_the_banner_shows_firing_alerts_to_staff_only(rule, admin_client, client, user, password):
    Alert.objects.create(rule=rule, fired_at=_now(), value=9)
    cache.delete(BANNER_CACHE_KEY)
    assert b'data-testid="alert-banner"' in admin_client.get("/accounts/notifications/").content
    client.login(username=user.username, password=password)
    assert b"alert-banner" not in client.get("/accounts/notifications/").content


def _now():
    from core import clock

    return clock.now()
