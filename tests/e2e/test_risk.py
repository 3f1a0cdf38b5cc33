"""The risk panel and the kill switch in the browser, on a phone and on a desk."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.selectors import default_account_for
from orders.models import Order, OrderStatus
from risk.models import TradingState
from risk.profiles import risk_profile_for
from tests.e2e.conftest import DESK, PHONE, login, page_width, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def resting_order(trader):
    from marketdata.selectors import instrument_get_by_key
    from orders.services import order_place
    from orders.validation import OrderParams

    params = OrderParams(
        side="BUY",
        quantity=2,
        order_type="LIMIT",
        product="CNC",
        validity="DAY",
        price=Decimal("790.00"),
        trigger_price=None,
    )
    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    return order_place(user=trader, instrument=sbin, params=params)[0]


def test_on_a_phone_the_kill_switch_cancels_open_orders_and_halts_trading(open_page, trader, password, resting_order):
    page = open_page(PHONE, touch=True)
    login(page, trader.username, password)
    page.get_by_test_id("menu-toggle").tap()
    page.get_by_test_id("nav-risk").tap()
    state = page.get_by_test_id("risk-state")
    expect(state).to_have_attribute("data-state", "ACTIVE")
    expect(page.get_by_test_id("limit-open_orders")).to_contain_text("1 / ")
    width, viewport = page_width(page)
    assert width == viewport, f"the risk page scrolls sideways: {width} px in {viewport} px"
    screenshot(page, "phone-risk")

    page.get_by_test_id("kill-switch").tap()  # the confirmation dialog is accepted by the fixture
    expect(state).to_have_attribute("data-state", "HALTED")
    expect(page.get_by_test_id("risk-done")).to_contain_text("1 order(s) cancelled")
    expect(page.get_by_test_id("reactivate")).to_be_visible()
    assert Order.objects.get(id=resting_order.id).status == OrderStatus.CANCELLED
    profile = risk_profile_for(default_account_for(trader).id)
    assert profile.state == TradingState.HALTED and profile.reactivate_after is not None
    expect(page.get_by_test_id("risk-status")).to_have_text("HALTED")  # in the top bar at once
    expect(page.get_by_test_id("reactivate-now")).to_be_visible()  # a paper account: the same day

    page.get_by_test_id("reactivate").tap()
    expect(state).to_have_attribute("data-state", "ACTIVE")
    expect(page.get_by_test_id("risk-status")).to_have_count(0)


def test_on_a_desk_the_limits_show_as_bars_that_turn_amber_and_red(open_page, trader, password, resting_order):
    profile = risk_profile_for(default_account_for(trader).id)
    profile.max_open_orders = 1  # one open order: the bar is full
    profile.save()
    page = open_page(DESK)
    login(page, trader.username, password)
    page.goto("/trading/risk/")
    expect(page.get_by_test_id("limit-open_orders")).to_have_attribute("data-level", "red")
    expect(page.get_by_test_id("limit-gross_exposure")).to_have_attribute("data-level", "ok")
    screenshot(page, "desk-risk")
