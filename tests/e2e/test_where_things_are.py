"""Where things are, on a phone (390 px, by touch) and on a desk (1440 px): the bottom tab bar, the total
P&L first on Positions, Open and Executed tabs on Orders, the chart's legend, and the smaller pages
(the latency card, the ledger's words, the security log, the broker form)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.selectors import default_account_for
from marketdata.selectors import instrument_get_by_key
from orders.models import LedgerEntry
from orders.services import order_place
from tests.e2e.conftest import DESK, PHONE, login, screenshot
from tests.e2e.test_layout import _executed_order, _positions
from tests.orders.conftest import params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SIZES = [("phone", PHONE), ("desk", DESK)]


@pytest.fixture
def book(trader):
    """A resting order and an executed one, and two open positions."""
    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    limit = params(quantity=5, order_type="LIMIT", price="500", product="CNC")
    resting, _ = order_place(user=trader, instrument=sbin, params=limit)
    executed = _executed_order(trader, sbin)
    _positions(trader, sbin)
    return {"resting": resting, "executed": executed}


def test_a_phone_has_a_tab_bar_for_watchlist_orders_positions_and_funds(open_page, trader, password, book):
    page = open_page(PHONE, touch=True)
    login(page, trader.username, password)
    bar = page.get_by_test_id("tabbar")
    expect(bar).to_be_in_viewport()
    expect(bar.get_by_role("link")).to_have_text(["Watchlist", "Orders", "Positions", "Funds"])
    box = bar.bounding_box()
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1), "the bar sits on the screen's bottom"
    expect(bar.get_by_role("link", name="Watchlist")).to_have_attribute("aria-current", "page")
    for name, path in (
        ("Orders", "/trading/orders/"),
        ("Positions", "/trading/positions/"),
        ("Funds", "/trading/funds/"),
    ):
        bar.get_by_role("link", name=name).tap()
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.get_by_test_id("tabbar").get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
    page.goto("/market/instruments/NSE/SBIN-EQ/")  # the Buy/Sell bar stands above the tab bar, not under it
    action = page.get_by_test_id("action-bar").bounding_box()
    assert action["y"] + action["height"] <= page.get_by_test_id("tabbar").bounding_box()["y"] + 0.5
    screenshot(page, "phone-tabbar-chart")


def test_a_desk_keeps_its_top_navigation_and_no_tab_bar(open_page, trader, password):
    page = open_page(DESK)
    login(page, trader.username, password)
    expect(page.get_by_test_id("nav-orders")).to_be_visible()
    expect(page.get_by_test_id("tabbar")).to_be_hidden()


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_positions_open_with_the_total_pnl_first(open_page, trader, password, book, size, viewport):
    page = open_page(viewport, touch=size == "phone")
    login(page, trader.username, password)
    page.goto("/trading/positions/")
    total = page.get_by_test_id("positions-pnl-total")
    expect(total).to_be_in_viewport()
    expect(total).to_have_text(re.compile(r"^[+-]?₹[\d,]+\.\d{2}$"))
    expect(total).to_have_text(page.get_by_test_id("positions-total").inner_text())  # the table's own total
    above = total.bounding_box()["y"] < page.get_by_test_id("funds").bounding_box()["y"]
    assert above, "the total P&L comes before the funds"
    screenshot(page, f"{size}-positions-pnl")


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_orders_has_open_and_executed_tabs_with_compact_rows(open_page, trader, password, book, size, viewport):
    phone = size == "phone"
    page = open_page(viewport, touch=phone)
    login(page, trader.username, password)
    page.goto("/trading/orders/")
    resting = page.locator(f'[data-testid=order-row][data-order-id="{book["resting"].id}"]')
    executed = page.locator(f'[data-testid=order-row][data-order-id="{book["executed"].id}"]')
    open_tab, executed_tab = page.get_by_test_id("orders-tab-open"), page.get_by_test_id("orders-tab-executed")
    expect(open_tab).to_have_attribute("aria-selected", "true")
    expect(open_tab).to_contain_text("Open 1")
    expect(executed_tab).to_contain_text("Executed 1")
    expect(resting).to_be_visible()
    expect(executed).to_be_hidden()
    executed_tab.tap() if phone else executed_tab.click()
    expect(executed).to_be_visible()
    expect(resting).to_be_hidden()
    page.wait_for_timeout(1500)  # the book refreshes every second: the tab holds across it
    expect(executed).to_be_visible()
    expect(resting).to_be_hidden()
    screenshot(page, f"{size}-orders-executed")
    if phone:  # three short lines, as a trading app's: side, quantity, status; instrument, price; time, type
        assert executed.bounding_box()["height"] <= 108, executed.bounding_box()  # the instrument is a 44 px link
        expect(executed.get_by_test_id("order-qty")).to_be_in_viewport()
    open_tab.tap() if phone else open_tab.click()
    expect(resting).to_be_visible()
    if phone:  # with its Modify and Cancel buttons, a line more
        assert resting.bounding_box()["height"] <= 160, resting.bounding_box()


def _candle_x(page, steps_from_right: int) -> tuple[float, float]:
    """A point on the chart over an older candle (the latest is at the right edge)."""
    box = page.get_by_test_id("chart").bounding_box()
    return box["x"] + box["width"] * (0.9 - 0.1 * steps_from_right), box["y"] + box["height"] * 0.4


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_the_chart_legend_stays_on_the_hovered_candle_and_shows_its_date(open_page, trader, password, size, viewport):
    phone = size == "phone"
    page = open_page(viewport, touch=phone)
    login(page, trader.username, password)
    page.goto("/market/instruments/NSE/SBIN-EQ/")
    chart, legend = page.get_by_test_id("chart"), page.get_by_test_id("chart-legend")
    expect(chart).not_to_have_attribute("data-candles", "0")
    latest = legend.get_attribute("data-time")
    expect(legend).to_have_text(re.compile(r"\d{2} [A-Z][a-z]{2} \d{4}"))  # the latest candle's date, IST
    x, y = _candle_x(page, 4)
    if phone:
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y)
    expect(legend).not_to_have_attribute("data-time", latest)
    hovered = legend.get_attribute("data-time")
    text = legend.inner_text()
    assert re.search(r"\d{2} [A-Z][a-z]{2} \d{4}", text), text
    if not phone:
        page.mouse.move(5, 5)  # the pointer leaves the chart
    page.wait_for_timeout(1200)  # a poll of the forming candle comes and goes
    expect(legend).to_have_attribute("data-time", hovered)
    screenshot(page, f"{size}-chart-legend")


@pytest.mark.parametrize(("size", "viewport"), SIZES)
def test_the_smaller_pages_read_plainly(open_page, trader, password, book, size, viewport):
    from accounts.services.api_keys import api_key_create
    from orders.services.funds import funds_deposit

    api_key_create(user=trader, name="my script", scopes=["read", "trade"])
    funds_deposit(user=trader, account=default_account_for(trader), amount=Decimal("25000"))
    page = open_page(viewport, touch=size == "phone")
    login(page, trader.username, password)

    page.goto("/accounts/security/")  # a key's scopes are words, not a Python list
    created = page.locator('[data-testid=security-event][data-kind="api_key.created"]')
    expect(created).to_contain_text("read, trade")
    expect(page.get_by_test_id("security-events")).not_to_contain_text("['")
    expect(created.locator("dt").nth(2)).to_have_text("Key")

    page.goto("/trading/funds/")  # the ledger in a trader's words
    rows = page.get_by_test_id("ledger-row")
    expect(rows.first).to_contain_text("Funds added")
    expect(page.get_by_test_id("ledger")).not_to_contain_text("DEPOSIT")
    expect(rows.first).to_contain_text("Paper money added")
    expect(page.get_by_test_id("ledger")).not_to_contain_text(trader.username)

    page.goto("/trading/broker/")  # the switch says on screen why it is off; labels stand above their fields
    switch = page.get_by_test_id("switch-live")
    expect(switch).to_be_disabled()
    why = page.get_by_test_id("switch-live-why")
    expect(why).to_be_visible()
    expect(why).to_contain_text("Save your Angel One credentials")
    expect(switch).to_have_attribute("aria-describedby", why.get_attribute("id"))
    for field in ("client_code", "static_ip", "api_key", "pin", "totp_secret"):
        label = page.locator(f'label[for="id_{field}"]').bounding_box()
        box = page.locator(f"#id_{field}").bounding_box()
        assert label["y"] + label["height"] <= box["y"] + 0.5, f"{field}: its label is not above it"
        assert box["width"] >= 0.8 * page.get_by_test_id("credentials-form").bounding_box()["width"], field
    screenshot(page, f"{size}-broker-form")

    page.goto(f"/trading/orders/{book['executed'].id}/")  # the latency card counts the platform's time
    card = page.get_by_test_id("order-latency")
    expect(card).to_contain_text("Platform time")
    expect(card).to_contain_text("not counted")


def test_ledger_kinds_are_trader_words():
    assert dict(LedgerEntry.Kind.choices) == {
        "DEPOSIT": "Funds added",
        "WITHDRAWAL": "Funds withdrawn",
        "ADJUSTMENT": "Adjustment",
        "REALISED_PNL": "Realised P&L",
        "CHARGES": "Charges",
    }
