"""A trader starts a strategy run in the dashboard; the runner (stepped here, as its loop would) trades
a closed bar through the order pipeline, and the order shows in the order book tagged with the run."""

import pytest
from playwright.sync_api import expect

from orders.models import Order
from strategies.live.runner import StrategyRunner
from strategies.models import StrategyRun
from tests.e2e.conftest import PHONE, login, open_section, page_width, screenshot
from tests.orders.conftest import set_quote
from tests.strategies.runs_helpers import market_clock, test_strategies  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("test_strategies", "market")
def test_a_trader_starts_a_run_sees_its_order_in_the_book_and_stops_it(open_page, trader, password, market_clock):  # noqa: F811
    sbin = set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")  # a fresh price for a MARKET order
    for k in range(-3, 0):
        market_clock.bar(sbin, k)
    page = open_page(PHONE)  # 390 px wide; confirmations are accepted
    login(page, trader.username, password)
    open_section(page, "strategies")
    page.get_by_label("Strategy").select_option("test_buy_each_bar")
    expect(page.get_by_label("Quantity")).to_have_value("10")  # the parameters follow the strategy's schema
    page.get_by_label("Quantity").fill("3")
    page.get_by_label("Instruments").fill("NSE:SBIN-EQ")
    page.get_by_label("Bars").select_option("1m")
    page.get_by_test_id("run-start").click()

    run = StrategyRun.objects.get(user=trader)
    item = page.locator(f'[data-run-id="{run.id}"]')
    expect(item.get_by_test_id("run-status")).to_have_text("STARTING")
    assert page_width(page) == (390, 390)
    runner = StrategyRunner()
    runner.step()  # loads the run: the bars already closed only warm it up
    market_clock.bar(sbin, 0)
    market_clock.advance()
    runner.step()  # bar 0 has closed: the strategy buys
    order = Order.objects.get(tag=run.tag)
    assert (order.side, order.quantity, order.source) == ("BUY", 3, "strategy")

    open_section(page, "orders")
    row = page.locator(f'[data-testid="order-row"][data-order-id="{order.id}"]')
    expect(row).to_contain_text(f"run:{run.id}")
    expect(row).to_contain_text("SBIN")
    screenshot(page, "phone-strategy-run-order")

    open_section(page, "strategies")
    item = page.locator(f'[data-run-id="{run.id}"]')
    expect(item.get_by_test_id("run-status")).to_have_text("RUNNING")
    expect(item.get_by_test_id("run-position-qty")).to_have_text("0")  # nothing filled yet: no worker here
    assert page_width(page) == (390, 390)
    item.scroll_into_view_if_needed()
    screenshot(page, "phone-strategy-runs")
    item.get_by_test_id("run-stop").click()  # "Stop run #1 ...?" accepted
    expect(page.locator(f'[data-run-id="{run.id}"]').get_by_test_id("run-status")).to_have_text("STOPPED")
    order.refresh_from_db()
    assert order.status == "CANCELLED"
