"""Every page on a phone (390x844, by touch) and on a desk (1440x900), against a live feed.

Nothing may scroll sideways (the document is exactly as wide as the viewport),
each page's main action is on screen, and the top bar says paper or live, which
feed and whether the market is open. Each page is screenshotted at both sizes
into var/test/artifacts/screenshots/ for a reviewer.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketdata.selectors import instrument_get_by_key
from orders.services import order_place, position_apply_fill
from orders.services.books import locked
from tests.e2e.conftest import DESK, PHONE, login, page_width, screenshot
from tests.orders.conftest import params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account_with_activity(trader):
    """A resting order and a delivery holding, so every table has a row to lay out."""
    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    order, _ = order_place(
        user=trader, instrument=sbin, params=params(quantity=5, order_type="LIMIT", price="500", product="CNC")
    )
    account_id = trader.trading_account.id
    with locked(account_id) as books:  # as its callers do
        position_apply_fill(
            funds=books.funds,
            instrument_id=sbin.id,
            product="CNC",
            side="BUY",
            quantity=10,
            price=Decimal("800.05"),
        )
    return order


def pages(order_id: int, phone: bool) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, path, the test ids of the main actions that must be on screen)."""
    chart_actions = ("action-buy", "action-sell") if phone else ("ticket-side-SELL", "ticket-submit")
    return [
        ("dashboard", "/", ("watch-buy", "watch-sell")),
        ("orders", "/trading/orders/", ("action-new-order" if phone else "ticket-symbol", "order-cancel")),
        ("order-detail", f"/trading/orders/{order_id}/", ("order-cancel",)),
        ("positions", "/trading/positions/", ("position-buy", "position-sell", "position-exit", "position-close")),
        ("holdings", "/trading/holdings/", ("holding-buy", "holding-sell", "holding-exit")),
        ("funds", "/trading/funds/", ("funds-amount", "funds-submit")),
        ("chart-equity", "/market/instruments/NSE/SBIN-EQ/", chart_actions),
        ("chart-option", "/market/instruments/NFO/NIFTY29DEC2625500CE/", chart_actions),
        ("strategies", "/strategies/", ("run-form",)),
        ("backtests", "/strategies/backtests/", ("backtest-form",)),
        ("account", "/accounts/password/", ("menu-toggle" if phone else "nav-account",)),
        ("api-keys", "/accounts/api-keys/", ("api-key-form",)),
        ("notifications", "/accounts/notifications/", ("notifications-form",)),
        ("security-log", "/accounts/security/", ("tab-security", "security-event")),
        ("not-found", "/no/such/page/", ("error-page",)),
    ]


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("desk", DESK)])
def test_every_page_fits_the_screen_and_shows_its_main_action(
    open_page, trader, password, feed, account_with_activity, size, viewport
):
    phone = size == "phone"
    page = open_page(viewport, touch=phone)
    page.goto("/accounts/login/")
    assert page_width(page) == (viewport["width"], viewport["width"])
    screenshot(page, f"{size}-login")
    login(page, trader.username, password)
    nav = page.get_by_test_id("nav-orders")
    if phone:  # the navigation folds into a menu
        expect(nav).to_be_hidden()
        page.get_by_test_id("menu-toggle").tap()
        expect(nav).to_be_in_viewport()
        screenshot(page, "phone-menu")
        page.get_by_test_id("menu-toggle").tap()
        expect(nav).to_be_hidden()
    else:
        expect(nav).to_be_visible()
    for name, path, actions in pages(account_with_activity.id, phone):
        page.goto(path)
        expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")
        for action in actions:  # on a phone the navigation waits behind the menu button
            target = page.get_by_test_id(action).first
            expect(target).to_be_visible()
            expect(target).to_be_in_viewport()
        assert page_width(page) == (viewport["width"], viewport["width"]), f"{name} scrolls sideways at {size}"
        screenshot(page, f"{size}-{name}")


def test_the_top_bar_says_paper_which_feed_and_that_the_simulated_market_is_open(page, trader, password, feed):
    login(page, trader.username, password)
    bar = page.get_by_test_id("topbar")
    expect(bar.get_by_test_id("account-mode")).to_have_text("PAPER")
    expect(bar.get_by_test_id("account-mode")).to_have_css("background-color", "rgb(227, 179, 65)")
    feed_chip = bar.get_by_test_id("feed-status")
    expect(feed_chip).to_have_attribute("data-source", "simulated")
    expect(feed_chip).to_have_attribute("data-state", "live")
    expect(feed_chip.get_by_test_id("feed-source")).to_have_text("Simulated")
    expect(feed_chip.get_by_test_id("feed-freshness")).to_have_text(re.compile(r"last tick \d+(\.\d)? s ago"))
    expect(bar.get_by_test_id("market-status")).to_have_text("Simulated market: always open")
    # Every page has it, and it stays current on its own (the strip refreshes itself).
    page.get_by_test_id("nav-positions").click()
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "live")


def test_an_account_that_keeps_market_hours_sees_nse_and_nfo_sessions(page, trader, password):
    from accounts.models import TradingAccount
    from core import clock
    from marketdata.market_hours import session_state

    TradingAccount.objects.filter(user=trader).update(always_open=False)
    login(page, trader.username, password)
    now = clock.now()
    for exchange in ("NSE", "NFO"):
        chip = page.get_by_test_id(f"market-{exchange}")
        expect(chip).to_have_attribute("data-state", session_state(exchange, now))
        expect(chip).to_contain_text(exchange)
    expect(page.get_by_test_id("feed-status")).to_have_attribute("data-state", "off")  # no feed in this test
    expect(page.get_by_test_id("feed-source")).to_have_text("No feed")
