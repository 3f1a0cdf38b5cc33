"""An admin changing a trader's risk limits: the trader is told, and the change is taken under the account's
lock like the risk services' own writes (placement reads the limits under that lock)."""

import json
import threading
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, connections, transaction

from accounts.selectors import default_account_for
from core.formatting import inr
from notifications.models import Delivery, Notification
from notifications.services import preferences_update
from orders.models import Funds
from risk.models import RiskProfile, TradingState
from risk.profiles import risk_profile_for
from tests.conftest import requires_postgres
from tests.monitoring.conftest import commit, webhook  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

EDITABLE = (
    "max_order_value_equity",
    "max_order_value_futures",
    "max_order_value_options",
    "max_quantity_equity",
    "max_quantity_futures",
    "max_quantity_options",
    "price_band_pct_equity",
    "price_band_pct_futures",
    "price_band_pct_options",
    "max_open_orders",
    "max_position_value",
    "max_gross_exposure",
    "max_orders_per_second",
    "max_orders_per_minute",
    "max_orders_per_day",
    "daily_loss_limit",
)


def form_of(profile: RiskProfile, **changes) -> dict:
    """The admin's change form as the browser posts it: every editable field, with `changes`."""
    data = {name: str(getattr(profile, name)) for name in EDITABLE}
    for name in ("allowed_exchanges", "allowed_products", "allowed_instrument_classes"):
        data[name] = json.dumps(getattr(profile, name))
    if profile.square_off_on_daily_loss:
        data["square_off_on_daily_loss"] = "on"
    return {**data, **changes}


def admin_edit(admin_client, profile: RiskProfile, **changes):
    return admin_client.post(f"/admin/risk/riskprofile/{profile.pk}/change/", form_of(profile, **changes))


@pytest.fixture
def profile(trader):
    return risk_profile_for(default_account_for(trader).id)


def test_the_trader_is_told_when_an_admin_changes_their_limits(admin_client, trader, profile):
    old_loss, old_orders = profile.daily_loss_limit, profile.max_open_orders
    response = admin_edit(admin_client, profile, daily_loss_limit="20000", max_open_orders="7")
    assert response.status_code == 302, response.content.decode()[:2000]

    profile.refresh_from_db()
    assert (profile.daily_loss_limit, profile.max_open_orders) == (Decimal("20000"), 7)
    (notice,) = Notification.objects.filter(user=trader)
    assert notice.code == "risk_limits_changed"
    assert "An administrator changed your risk limits" in notice.message
    assert f"Daily loss limit: {inr(old_loss)} → 20,000.00" in notice.message
    assert f"Max open orders: {old_orders} → 7" in notice.message
    assert "admin:" not in notice.message  # which admin is for the audit trail, not the trader


def test_the_change_reaches_the_traders_chosen_channels(admin_client, trader, profile, webhook, commit):  # noqa: F811
    preferences_update(user=trader, events=["risk_limits"], channels=["webhook"], webhook_url=webhook.url + "/hook")
    commit(admin_edit, admin_client=admin_client, profile=profile, max_orders_per_day="100")
    (hook,) = webhook.received
    assert hook.json()["event"] == "risk.limits_changed"
    assert "Max orders per day" in hook.json()["subject"]
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_saving_the_form_unchanged_tells_nobody(admin_client, trader, profile):
    assert admin_edit(admin_client, profile).status_code == 302
    assert not Notification.objects.filter(user=trader).exists()


def test_an_admin_edit_keeps_the_trading_state_it_did_not_touch(admin_client, trader, profile):
    """Only the limits that changed are written: a halt that landed meanwhile is not written back to ACTIVE."""
    form = form_of(profile, daily_loss_limit="20000")
    RiskProfile.objects.filter(pk=profile.pk).update(state=TradingState.HALTED, state_code="risk_kill_switch")
    assert admin_client.post(f"/admin/risk/riskprofile/{profile.pk}/change/", form).status_code == 302
    profile.refresh_from_db()
    assert profile.state == TradingState.HALTED and profile.daily_loss_limit == Decimal("20000")


@requires_postgres()
@pytest.mark.django_db(transaction=True)
def test_an_admin_edit_waits_for_the_accounts_lock(admin_client, trader):
    """While another transaction holds the account's funds row (an order being placed), the edit waits."""
    profile = risk_profile_for(default_account_for(trader).id)
    holding, release = threading.Event(), threading.Event()

    def hold_the_account() -> None:
        try:
            with transaction.atomic():
                Funds.objects.select_for_update().get(account_id=profile.account_id)
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_account)
    holder.start()
    try:
        assert holding.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # waiting is the behaviour; don't wait forever for it
        with pytest.raises(OperationalError, match="lock timeout"):
            admin_edit(admin_client, profile, daily_loss_limit="20000")
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    profile.refresh_from_db()
    assert profile.daily_loss_limit != Decimal("20000")
