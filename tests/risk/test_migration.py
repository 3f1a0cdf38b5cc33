"""The risk models moved from orders to the risk app without losing a row: their tables stay, only the
migration state moves (orders 0007 forgets them, risk 0001 takes them over), and their content types follow."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from risk.models import PlatformRisk, RiskEvent, RiskProfile

BEFORE = [("orders", "0006_ledger_kinds_in_trader_words")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


def _state_apps(executor):
    """The models as the database now has them (every app at what is applied)."""
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


def _rows_made_by_orders(apps) -> int:
    user = apps.get_model(settings.AUTH_USER_MODEL).objects.create(username="moved-trader")
    account = apps.get_model("accounts", "TradingAccount").objects.create(user_id=user.id)
    limits = {field: 5 for field in _integer_limits()} | {field: Decimal("100.00") for field in _money_limits()}
    apps.get_model("orders", "RiskProfile").objects.create(account_id=account.id, state="HALTED", **limits)
    apps.get_model("orders", "RiskEvent").objects.create(account_id=account.id, kind="STATE", code="c", message="m")
    apps.get_model("orders", "PlatformRisk").objects.create(pk=1, halted=True, reason="drill")
    ContentType.objects.get_or_create(app_label="orders", model="riskprofile")
    ContentType.objects.filter(app_label="risk").delete()
    return account.id


def _integer_limits():
    return [f.name for f in RiskProfile._meta.fields if f.get_internal_type() == "PositiveIntegerField"]


def _money_limits():
    return [f.name for f in RiskProfile._meta.fields if f.get_internal_type() == "DecimalField"]


@pytest.mark.django_db(transaction=True)
def test_moving_the_risk_models_to_their_app_keeps_every_row():
    executor = _migrate(BEFORE)
    assert ("risk", "0001_initial") not in executor.loader.applied_migrations
    account_id = _rows_made_by_orders(_state_apps(executor))

    _migrate(executor.loader.graph.leaf_nodes())

    profile = RiskProfile.objects.get(account_id=account_id)
    assert profile.state == "HALTED" and profile.max_open_orders == 5
    assert RiskEvent.objects.filter(account_id=account_id, code="c").count() == 1
    assert PlatformRisk.objects.get(pk=1).reason == "drill"
    assert ContentType.objects.get_for_model(RiskProfile).app_label == "risk"
    assert not ContentType.objects.filter(app_label="orders", model="riskprofile").exists()
