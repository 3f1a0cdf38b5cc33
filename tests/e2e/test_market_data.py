import re

import pytest
from playwright.sync_api import expect

from marketdata.demo import demo_history_backfill, demo_instruments_import
from tests.e2e.conftest import login

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
    row = page.get_by_test_id("watch-row").filter(has_text="INFY-EQ")
    ltp = row.get_by_test_id("watch-ltp")
    expect(ltp).to_have_text(re.compile(r"^[\d,]+\.\d{2}$"), timeout=10_000)
    first = ltp.inner_text()
    # The feed picks the new instrument up and the page polls once a second.
    expect(ltp).not_to_have_text(first, timeout=15_000)

    row.get_by_test_id("watch-symbol").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("INFY-EQ"))).to_be_visible()
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
    page.get_by_role("button", name="Remove TCS-EQ").click()
    expect(page.get_by_test_id("watchlist-empty")).to_be_visible()
