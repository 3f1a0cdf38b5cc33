"""The traders' dashboard for orders, in Chromium, against the real processes.

The feed process runs the simulated market and the paper exchange's matching
engine; a real Celery worker process sends orders to the paper broker. Every wait is
Playwright's auto-waiting `expect`, never a sleep.
"""

import re
from decimal import ROUND_FLOOR, Decimal

import pytest
from playwright.sync_api import expect

from core.templatetags.money import format_indian
from orders.models import Order
from tests.e2e.conftest import login, placed_order_id

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PRICE = re.compile(r"^[\d,]+\.\d{2,4}$")
SIGNED = re.compile(r"^[+-]?₹[\d,]+\.\d{2}$")
BROKER_WAIT = 15_000  # ms: worker -> paper broker -> matching engine -> back


@pytest.fixture
def trading_page(page, trader, password, feed, worker):
    login(page, trader.username, password)
    page.on("dialog", lambda dialog: dialog.accept())  # "Square off ... at market?"
    return page


def order_row(page, order_id: int):
    return page.locator(f'[data-testid="order-row"][data-order-id="{order_id}"]')


def product_choices(ticket) -> list[str]:
    return ticket.locator('input[name="product"]').evaluate_all("inputs => inputs.map(i => i.value)")


def test_a_market_buy_from_the_instrument_page_fills_and_shows_a_live_position(trading_page):
    page = trading_page
    page.goto("/market/instruments/NSE/SBIN-EQ/")
    ticket = page.get_by_test_id("order-ticket")
    expect(ticket.get_by_test_id("ticket-ltp")).to_have_text(PRICE)
    assert product_choices(ticket) == ["CNC", "MIS"]
    expect(ticket.get_by_test_id("ticket-lot")).to_contain_text("Lot size 1")

    ticket.get_by_test_id("ticket-quantity").fill("10")
    ticket.get_by_test_id("ticket-product-MIS").click()
    expect(ticket.get_by_test_id("ticket-value")).to_have_text(re.compile(r"^₹[\d,]+\.\d{2}$"))
    ticket.get_by_test_id("ticket-submit").click()
    order_id = placed_order_id(page)

    page.get_by_test_id("nav-orders").click()
    row = order_row(page, order_id)
    expect(row.get_by_test_id("order-status")).to_have_text("Filled", timeout=BROKER_WAIT)
    expect(row.get_by_test_id("order-qty")).to_have_text("10 / 10")
    expect(row.get_by_test_id("order-avg")).to_have_text(PRICE)
    expect(row.get_by_test_id("order-modify")).to_have_count(0)
    expect(row.get_by_test_id("order-cancel")).to_have_count(0)

    page.get_by_test_id("orders-tab-executed").click()  # a filled order has moved from Open to Executed
    row.get_by_test_id("order-link").click()
    expect(page.get_by_test_id("order-title")).to_contain_text(f"Order #{order_id}")
    expect(page.get_by_test_id("order-event").last).to_contain_text("FILLED")

    page.get_by_test_id("nav-positions").click()
    position = page.locator('[data-testid="position-row"][data-symbol="SBIN-EQ"]')
    expect(position.get_by_test_id("position-qty")).to_have_text("10")
    expect(position.get_by_test_id("position-unrealised")).to_have_text(SIGNED)
    ltp = position.get_by_test_id("position-ltp")
    expect(ltp).to_have_text(PRICE)
    # Live: the table follows the market without a reload.
    expect(ltp).not_to_have_text(ltp.inner_text(), timeout=BROKER_WAIT)
    expect(page.get_by_test_id("trade-row").filter(has_text="SBIN")).to_have_count(1)
    expect(page.get_by_test_id("funds-margin")).not_to_have_text("₹0.00")

    position.get_by_test_id("position-close").click()
    expect(page.get_by_test_id("action-message")).to_contain_text(re.compile(r"Square-off order #\d+ placed"))
    expect(position.get_by_test_id("position-qty")).to_have_text("0", timeout=BROKER_WAIT)
    expect(position.get_by_test_id("position-close")).to_have_count(0)
    expect(page.get_by_test_id("trade-row").filter(has_text="SBIN")).to_have_count(2)


def test_a_limit_buy_far_below_the_market_rests_is_modified_and_cancelled(trading_page):
    page = trading_page
    page.goto("/trading/orders/")
    expect(page.get_by_test_id("orders-empty")).to_be_visible()
    symbol = page.get_by_test_id("ticket-symbol")
    symbol.fill("NSE:INFY-EQ")
    symbol.press("Enter")  # looks the instrument up; never places an order
    ticket = page.get_by_test_id("order-ticket")
    expect(ticket.get_by_test_id("ticket-ltp")).to_have_text(PRICE)
    ltp = Decimal(ticket.get_by_test_id("ticket-ltp").inner_text().replace(",", ""))
    tick = Decimal("0.05")
    limit = (ltp * Decimal("0.8") / tick).to_integral_value(ROUND_FLOOR) * tick
    lower = (ltp * Decimal("0.75") / tick).to_integral_value(ROUND_FLOOR) * tick

    expect(ticket.get_by_test_id("ticket-price")).to_be_hidden()
    ticket.get_by_test_id("ticket-type-LIMIT").click()
    expect(ticket.get_by_test_id("ticket-price")).to_be_visible()
    expect(ticket.get_by_test_id("ticket-trigger-price")).to_be_hidden()
    ticket.get_by_test_id("ticket-quantity").fill("5")
    ticket.get_by_test_id("ticket-price").fill(str(limit))
    ticket.get_by_test_id("ticket-submit").click()
    order_id = placed_order_id(page)

    # The order book refreshes on its own (ordersChanged, then every second).
    row = order_row(page, order_id)
    expect(row.get_by_test_id("order-status")).to_have_text("Open", timeout=BROKER_WAIT)
    expect(row.get_by_test_id("order-price")).to_have_text(format_indian(limit))
    expect(row.get_by_test_id("order-qty")).to_have_text("0 / 5")

    row.get_by_test_id("order-modify").click()
    form = page.get_by_test_id("modify-form")
    expect(form.get_by_test_id("modify-price")).to_have_value(format(limit.normalize(), "f"))
    form.get_by_test_id("modify-price").fill(str(lower))
    form.get_by_test_id("modify-submit").click()
    # The notice follows the request to its end: "Modifying..." gives way to the outcome.
    expect(page.get_by_test_id("action-message")).to_contain_text(f"Order #{order_id} modified", timeout=BROKER_WAIT)
    expect(form).to_have_count(0)
    expect(row.get_by_test_id("order-price")).to_have_text(format_indian(lower), timeout=BROKER_WAIT)
    expect(row.get_by_test_id("order-status")).to_have_text("Open", timeout=BROKER_WAIT)

    row.get_by_test_id("order-cancel").click()  # confirmed by the trading_page fixture's dialog handler
    expect(row.get_by_test_id("order-status")).to_have_text("Cancelled", timeout=BROKER_WAIT)
    expect(page.get_by_test_id("action-message")).to_have_text(re.compile(rf"Order #{order_id} cancelled\."))
    expect(row.get_by_test_id("order-cancel")).to_have_count(0)
    expect(row.get_by_test_id("order-modify")).to_have_count(0)
    order = Order.objects.get(id=order_id)
    assert (order.status, order.price, order.filled_quantity) == ("CANCELLED", lower, 0)

    page.get_by_test_id("orders-tab-executed").click()  # a cancelled order has moved to Executed
    row.get_by_test_id("order-link").click()
    events = page.get_by_test_id("order-event")
    expect(events.filter(has_text="MODIFY_PENDING")).not_to_have_count(0)
    expect(events.last).to_contain_text("CANCELLED")


def test_the_ticket_shows_lot_size_and_funds_errors_beside_the_quantity(trading_page):
    page = trading_page
    page.goto("/market/instruments/NFO/NIFTY29DEC26FUT/")
    ticket = page.get_by_test_id("order-ticket")
    expect(ticket.get_by_test_id("ticket-lot")).to_contain_text("Lot size 65")
    assert product_choices(ticket) == ["NRML", "MIS"]
    expect(ticket.get_by_test_id("ticket-ltp")).to_have_text(PRICE)

    ticket.get_by_test_id("ticket-quantity").fill("100")
    # Said as the trader types (the estimate asks the placement's rules), with the button held until fixed.
    error = ticket.get_by_test_id("ticket-error-quantity")
    expect(error).to_contain_text("multiple of the lot size 65")
    expect(ticket.get_by_test_id("ticket-submit")).to_be_disabled()
    expect(ticket.get_by_test_id("ticket-quantity")).to_have_value("100")  # the input is kept to correct
    expect(ticket.get_by_test_id("ticket-success")).to_have_count(0)

    ticket.get_by_test_id("ticket-quantity").fill(str(65 * 100))
    ticket.get_by_test_id("ticket-submit").click()
    expect(error).to_contain_text("Insufficient funds")
    expect(ticket.get_by_test_id("ticket-error")).to_have_count(0)  # beside the field, not at the top
    assert not Order.objects.exists()

    ticket.get_by_test_id("ticket-quantity").fill("65")
    ticket.get_by_test_id("ticket-submit").click()
    placed_order_id(page)
    expect(ticket.get_by_test_id("ticket-error-quantity")).to_be_hidden()
