"""Notification preferences and deliveries moved from monitoring to the notifications app without losing a
row: their tables stay, only the migration state moves (monitoring 0004 forgets them, notifications 0001 takes
them over), and their content types follow."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Delivery, NotificationPreference

BEFORE = [("monitoring", "0003_notification_in_app_fills")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _rows_made_by_monitoring(apps) -> int:
    user = apps.get_model(settings.AUTH_USER_MODEL).objects.create(username="moved-trader")
    apps.get_model("monitoring", "NotificationPreference").objects.create(
        user_id=user.id, events=["fills"], channels=["webhook"], webhook_url="https://example.com/hook"
    )
    apps.get_model("monitoring", "Delivery").objects.create(
        user_id=user.id, channel="webhook", event="orders.filled", target="https://example.com/hook", subject="s"
    )
    ContentType.objects.get_or_create(app_label="monitoring", model="delivery")
    ContentType.objects.filter(app_label="notifications").delete()
    return user.id


@pytest.mark.django_db(transaction=True)
def test_moving_notifications_to_their_app_keeps_every_row():
    executor = _migrate(BEFORE)
    assert ("notifications", "0001_initial") not in executor.loader.applied_migrations
    state = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    user_id = _rows_made_by_monitoring(state)

    _migrate(executor.loader.graph.leaf_nodes())

    assert NotificationPreference.objects.get(user_id=user_id).events == ["fills"]
    assert Delivery.objects.get(user_id=user_id).event == "orders.filled"
    assert ContentType.objects.get_for_model(Delivery).app_label == "notifications"
    assert not ContentType.objects.filter(app_label="monitoring", model="delivery").exists()


BEFORE_NOTICES = [("orders", "0008_ledger_charges"), ("notifications", "0001_initial")]


def _rows_made_before_notices_moved(apps) -> dict:
    """A user with a default and a second account, their preferences, and two notices as orders kept them."""
    user = apps.get_model(settings.AUTH_USER_MODEL).objects.create(username="notice-trader")
    accounts = apps.get_model("accounts", "TradingAccount")
    default = accounts.objects.create(user_id=user.id, name="Paper", is_default=True)
    accounts.objects.create(user_id=user.id, name="Second", is_default=False)
    lonely = apps.get_model(settings.AUTH_USER_MODEL).objects.create(username="no-account-yet")
    prefs = apps.get_model("notifications", "NotificationPreference")
    prefs.objects.create(user_id=user.id, events=["fills"], channels=["email"], email="t@example.com")
    prefs.objects.create(user_id=lonely.id, events=["kill_switch"], channels=[])
    instrument = apps.get_model("marketdata", "Instrument").objects.create(
        exchange="NSE", symbol="MIGRATE-EQ", token="999001", tick_size="0.05"
    )
    order = apps.get_model("orders", "Order").objects.create(
        user_id=user.id,
        account_id=default.id,
        instrument_id=instrument.id,
        side="BUY",
        quantity=1,
        order_type="MARKET",
        product="CNC",
        status="REJECTED",
    )
    notices = apps.get_model("orders", "Notification")
    about_order = notices.objects.create(
        user_id=user.id, code="broker_rejected", message="Order was rejected", level="error", order_id=order.id
    )
    unattached = notices.objects.create(user_id=user.id, code="external_order", message="found at the broker")
    ContentType.objects.get_or_create(app_label="orders", model="notification")
    ContentType.objects.filter(app_label="notifications", model="notification").delete()
    return {
        "user": user.id,
        "lonely": lonely.id,
        "default": default.id,
        "order": order.id,
        "about_order": about_order.id,
        "unattached": unattached.id,
    }


@pytest.mark.django_db(transaction=True)
def test_moving_notices_to_notifications_keeps_them_and_gives_each_its_account():
    executor = _migrate(BEFORE_NOTICES)
    assert ("notifications", "0002_notices_and_preferences_per_account") not in executor.loader.applied_migrations
    state = executor.loader.project_state(list(executor.loader.applied_migrations)).apps
    ids = _rows_made_before_notices_moved(state)

    _migrate(executor.loader.graph.leaf_nodes())

    from notifications.models import Notification

    notice = Notification.objects.get(id=ids["about_order"])
    assert (notice.user_id, notice.code, notice.level, notice.read_at) == (
        ids["user"],
        "broker_rejected",
        "error",
        None,
    )
    assert (notice.order_id, notice.account_id) == (ids["order"], ids["default"])  # the order's account
    assert Notification.objects.get(id=ids["unattached"]).account_id is None  # about the user: shown everywhere
    pref = NotificationPreference.objects.get(user_id=ids["user"])
    assert (pref.account_id, pref.email, pref.events) == (ids["default"], "t@example.com", ["fills"])
    assert NotificationPreference.objects.get(user_id=ids["lonely"]).account_id is None  # no account yet
    assert ContentType.objects.get_for_model(Notification).app_label == "notifications"
    assert not ContentType.objects.filter(app_label="orders", model="notification").exists()
