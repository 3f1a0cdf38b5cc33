"""Every built-in alert rule fires and resolves end to end: the condition is driven by real state, the
rules are evaluated as the beat task does, and the messages reach a real SMTP sink and webhook receiver."""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import current_app

from accounts.selectors import default_account_for
from brokers.models import BrokerAccount
from brokers.resilience import breaker_for, breaker_reset_all, guarded
from core import clock
from marketdata.models import FeedStatus
from monitoring.alerting import alert_rules_evaluate
from monitoring.heartbeats import WORKER, heartbeat_write
from monitoring.models import Alert, AlertRule
from orders.models import OrderEvent, OrderStatus, PositionMismatch
from orders.services import order_place
from risk.models import TradingState
from risk.profiles import risk_profile_for
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db
OPS = "ops@example.com"
SECRET = "operators-webhook-secret"


@pytest.fixture
def account(trader):
    return default_account_for(trader)


def only(condition: str, webhook_url: str) -> AlertRule:
    """The built-in rule for `condition`, with addresses; every other rule disabled."""
    AlertRule.objects.exclude(condition=condition).update(enabled=False)
    rule = AlertRule.objects.get(condition=condition)
    rule.emails, rule.webhook_url = OPS, webhook_url
    rule.save()
    return rule


class HealthFailure(Exception):
    broker_health_failure = True


def _breaker_open(account):
    ba = BrokerAccount.objects.create(account=account, broker="angelone", client_code="ALRT1", status="connected")
    breaker_for("angelone", ba.pk).open()
    return lambda: breaker_for("angelone", ba.pk).close()


def _error_rate(account):
    guarded("angelone", "alerts-test", lambda: "ok")
    for _ in range(3):
        with pytest.raises(HealthFailure):
            guarded("angelone", "alerts-test", lambda: (_ for _ in ()).throw(HealthFailure("502")))
    return None  # clears by itself once the five-minute window has passed


def _feed_stale(account):
    old = clock.now() - timedelta(minutes=5)
    FeedStatus.objects.create(source="simulated", started_at=old, heartbeat_at=old, last_tick_at=old)
    return lambda: FeedStatus.objects.update(heartbeat_at=clock.now(), last_tick_at=clock.now())


def _no_worker(account):
    heartbeat_write(WORKER, host="w1", at=(clock.now() - timedelta(minutes=5)).timestamp())
    return lambda: heartbeat_write(WORKER, host="w1")


def _backlog(account, settings=None):
    queue = "alerts-test-backlog"
    current_app.conf.task_always_eager = False  # really queued (nothing consumes this queue)
    for _ in range(3):
        current_app.send_task("monitoring.ping", queue=queue)
    current_app.conf.task_always_eager = True

    def clear():
        with current_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)

    return clear


def _rejections(account):
    order, _ = order_place(user=account.user, instrument=_instrument(), params=params())
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, from_status="NEW", to_status=OrderStatus.REJECTED, actor="test") for _ in range(3)
    )
    return None  # clears once the five-minute window has passed


def _mismatch(account):
    now = clock.now()
    row = PositionMismatch.objects.create(
        account=account,
        exchange="NSE",
        symbol="SBIN-EQ",
        product="CNC",
        platform_quantity=10,
        broker_quantity=0,
        detected_at=now,
        last_seen_at=now,
    )
    return lambda: PositionMismatch.objects.filter(id=row.id).update(resolved_at=clock.now())


def _loss_limit(account):
    profile = risk_profile_for(account.id)
    profile.state, profile.state_code = TradingState.REDUCING, "risk_daily_loss_limit"
    profile.save(update_fields=["state", "state_code"])
    return lambda: type(profile).objects.filter(id=profile.id).update(state=TradingState.ACTIVE, state_code="")


def _instrument():
    from marketdata.models import Instrument

    return Instrument.objects.get(exchange="NSE", symbol="SBIN-EQ")


# condition -> (make it hold, returning how to clear it or None for "wait"; a threshold for the test, or None)
CASES = {
    "circuit_open": (_breaker_open, None),
    "broker_error_rate": (_error_rate, None),
    "feed_stale": (_feed_stale, None),
    "worker_heartbeat_age": (_no_worker, None),
    "queue_backlog": (_backlog, Decimal("2")),  # three messages instead of five hundred
    "order_rejections": (_rejections, Decimal("2")),  # three rejections instead of twenty
    "position_mismatch": (_mismatch, None),
    "daily_loss_limit": (_loss_limit, None),
}


def test_every_built_in_rule_has_a_case_here():
    assert set(AlertRule.objects.values_list("condition", flat=True)) == set(CASES)


@pytest.mark.parametrize("condition", CASES)
def test_a_built_in_rule_fires_and_resolves_by_email_and_signed_webhook(
    condition, market, account, smtp, webhook, commit, frozen_clock, settings
):
    settings.ALERT_WEBHOOK_SECRET = SECRET
    settings.ALERT_BACKLOG_QUEUES = ["alerts-test-backlog"]
    rule = only(condition, webhook.url + "/ops")
    hold, threshold = CASES[condition]
    if threshold is not None:
        AlertRule.objects.filter(id=rule.id).update(threshold=threshold)
    try:
        clear = hold(account)
        commit(alert_rules_evaluate)
        if rule.duration_seconds:  # pending until the condition has held for the rule's duration
            assert not Alert.objects.exists() and not smtp.messages
            frozen_clock.advance(rule.duration_seconds + 1)
            commit(alert_rules_evaluate)
        alert = Alert.objects.get(rule=rule)
        assert alert.resolved_at is None and alert.value > (threshold or rule.threshold)
        assert [m.to for m in smtp.messages] == [[OPS]] and "firing" in smtp.messages[0].subject
        assert webhook.received[0].json()["data"]["state"] == "firing"
        assert webhook.received[0].signed_with(SECRET)

        clear() if clear else frozen_clock.advance(6 * 60)
        commit(alert_rules_evaluate)
        alert.refresh_from_db()
        assert alert.resolved_at is not None
        assert "resolved" in smtp.messages[-1].subject and len(smtp.messages) == 2
        assert webhook.received[-1].json()["data"]["state"] == "resolved"
    finally:
        breaker_reset_all()
