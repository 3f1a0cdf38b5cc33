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
