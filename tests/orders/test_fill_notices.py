"""Fills the trader hears about on the dashboard (issue 20, item 14): on by default, off when they say so."""

from decimal import Decimal as D

import pytest

from brokers.paper.engine import MatchingEngine
from marketdata.bus import Tick
from notifications.models import Notification, NotificationPreference
from notifications.services import preferences_cache_clear, preferences_get, preferences_update
from orders import services
from orders.models import OrderStatus
from tests.orders.conftest import params

pytestmark = pytest.mark.django_db


@pytest.fixture
def resting_buy(market, trader, run):
    """A LIMIT buy of 5 SBIN at 790 resting at the paper exchange (the last price is 800)."""
    order, _ = services.order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(quantity=5, order_type="LIMIT", price="790")
    )
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    return order


def cross(market, run) -> None:
    run(MatchingEngine(sync_interval=0).on_tick, tick=Tick(market["SBIN-EQ"].id, D("789.00"), 1.0, 1))


def test_a_new_trader_hears_of_fills_in_the_dashboard_and_nowhere_else(trader):
    pref = preferences_get(user=trader)
    assert (pref.events, pref.channels, pref.in_app_fills) == ([], [], True)


def test_a_resting_order_that_fills_later_leaves_a_notice_for_its_trader(market, trader, resting_buy, run):
    assert not Notification.objects.exists()
    cross(market, run)
    resting_buy.refresh_from_db()
    assert resting_buy.status == OrderStatus.FILLED
    notice = Notification.objects.get(user=trader)
    assert (notice.code, notice.level, notice.order_id) == ("order_filled", "info", resting_buy.id)
    assert notice.read_at is None
    assert notice.message == "Bought 5 SBIN at 790.00: order filled."


def test_a_trader_who_turned_fill_notices_off_gets_none(market, trader, resting_buy, run):
    preferences_update(user=trader, events=[], channels=[], in_app_fills=False)
    cross(market, run)
    assert not Notification.objects.filter(user=trader).exists()
    assert NotificationPreference.objects.get(user=trader).in_app_fills is False


def test_a_trader_without_saved_preferences_hears_of_fills(market, trader, resting_buy, run):
    NotificationPreference.objects.filter(user=trader).delete()
    preferences_cache_clear()
    cross(market, run)
    assert Notification.objects.filter(user=trader, code="order_filled").count() == 1
