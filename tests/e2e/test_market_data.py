import re

import pytest
from playwright.sync_api import expect

from marketdata.demo import demo_history_backfill, demo_instruments_import
from tests.e2e.conftest import DESK, PHONE, login, page_width, screenshot
from tests.orders.conftest import set_quote

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_market():
    demo_instruments_import()
    demo_history_backfill(session_minutes=30, days=5)


def test_a_trader_watches_an_instrument_sees_it_move_and_opens_its_chart(page, user, password, demo_market, feed):
    login(page, user.username, password)
    expect(page.get_by_test_id("watchlist-empty")).to_be_visible()

    page.get_by_test_id("instrument-search").fill("INFY")
    page.get_by_test_id("add-NSE-INFY-EQ").click()
    row = page.locator('[data-testid="watch-row"][data-quote-key="NSE:INFY-EQ"]')
    ltp = row.get_by_test_id("watch-ltp")
    expect(ltp).to_have_text(re.compile(r"^[\d,]+\.\d{2}$"), timeout=10_000)
    first = ltp.inner_text()
    # The feed picks the new instrument up and the page polls once a second.
    expect(ltp).not_to_have_text(first, timeout=15_000)

    row.get_by_test_id("watch-symbol").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^INFY "))).to_be_visible()
    chart = page.get_by_test_id("chart")
    expect(chart.locator("canvas").first).to_be_visible()
    expect(chart).to_have_attribute("data-candles", re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_test_id("instrument-ltp")).to_have_text(re.compile(r"^[\d,]+\.\d{2}$"))

    page.get_by_test_id("interval-5m").click()
    expect(chart).to_have_attribute("data-interval", "5m")
    expect(chart).to_have_attribute("data-candles", re.compile(r"^[1-9]\d*$"))


def test_a_trader_removes_an_instrument_from_the_watchlist(page, user, password, demo_market):
    login(page, user.username, password)
    page.get_by_test_id("instrument-search").fill("TCS")
    page.get_by_test_id("add-NSE-TCS-EQ").click()
    expect(page.get_by_test_id("watch-row")).to_have_count(1)
    page.get_by_role("button", name="Remove TCS").click()
    expect(page.get_by_test_id("watchlist-empty")).to_be_visible()


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_a_trader_finds_an_option_by_words_in_any_order(open_page, user, password, demo_market, viewport):
    set_quote("NFO", "NIFTY29DEC2626000CE", "298.60")
    page = open_page(viewport, touch=viewport is PHONE)
    login(page, user.username, password)
    search = page.get_by_test_id("instrument-search")
    search.fill("nifty 26000 ce")
    result = page.get_by_test_id("search-result")
    expect(result).to_have_count(1)
    expect(result.get_by_test_id("result-name")).to_have_text("NIFTY 29 DEC 26000 CE")
    expect(result).to_contain_text("Lot 65")
    expect(result.get_by_test_id("result-ltp")).to_have_text("298.60")
    screenshot(page, f"search-option-{viewport['width']}")
    width, viewport_width = page_width(page)
    assert width <= viewport_width
    # A compact row: on the phone two lines (name and LTP, then what it is and its buttons), one on a desk.
    box = result.bounding_box()
    assert box["height"] <= 90, box

    search.fill("state bank")
    expect(page.get_by_test_id("result-name").first).to_have_text("SBIN")
    expect(page.get_by_test_id("search-result").first).to_contain_text("State Bank of India")
    search.fill("banknifty fut")
    expect(page.get_by_test_id("result-name")).to_have_text(["BANKNIFTY 29 DEC FUT"])
    page.get_by_test_id("add-NFO-BANKNIFTY29DEC26FUT").click()
    expect(page.get_by_test_id("watch-symbol")).to_have_text(["BANKNIFTY 29 DEC FUT"])
