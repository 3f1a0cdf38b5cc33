"""A trader runs a backtest in the dashboard: the form, the progress bar, then the report with its charts.

A real Celery worker process runs the backtest; every wait is Playwright's auto-waiting `expect`.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login, open_section
from tests.strategies.conftest import own_worker  # noqa: F401 - a fixture
from tests.strategies.factories import instrument_with_candles

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("own_worker")
@pytest.mark.parametrize("width", [1280, 390])
def test_a_trader_runs_a_backtest_and_reads_its_report(page, user, password, width):
    instrument_with_candles("SBIN-EQ", count=500)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, user.username, password)
    open_section(page, "backtests")  # htmx has wired the form up, as for a person

    page.get_by_label("Strategy").select_option("rsi_reversion")
    expect(page.get_by_label("Oversold")).to_have_value("30.0")  # the form follows the strategy's schema
    page.get_by_label("Strategy").select_option("sma_crossover")
    page.get_by_label("Instruments").fill("NSE:SBIN-EQ")
    page.get_by_label("From (IST)").fill("2023-01-02")
    page.get_by_label("To (IST, inclusive)").fill("2024-05-15")
    page.get_by_label("Fast").fill("5")
    page.get_by_label("Slow").fill("20")
    page.get_by_label("Label (optional)").fill("my first")
    page.get_by_test_id("run-submit").click()

    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "DONE", timeout=60_000)
    expect(page.get_by_test_id("metrics")).to_contain_text("Sharpe")
    expect(page.locator('[data-metric="final_equity"]')).to_have_text(re.compile(r"^[\d,]+\.\d{2}$"))
    expect(page.get_by_test_id("equity-chart")).to_have_attribute("data-points", "500")
    expect(page.get_by_test_id("equity-chart").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("drawdown-chart").locator("canvas").first).to_be_visible()
    expect(page.get_by_test_id("trades-table").locator("tbody tr").first).to_be_visible()
    # The page's own content fits the screen: no sideways scrolling (the shared top bar is the layout's).
    too_wide = page.evaluate(
        "() => [...document.querySelectorAll('main *')]"
        ".filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
    )
    assert too_wide == []
    main = page.locator("main")
    assert main.evaluate("el => el.scrollWidth <= el.clientWidth")


@pytest.mark.usefixtures("own_worker")
@pytest.mark.parametrize("width", [1440, 390])
def test_a_trader_picks_a_share_by_name_and_runs_on_the_stored_range(page, user, password, width):
    sbin = instrument_with_candles("SBIN-EQ", count=120)
    sbin.company_name = "State Bank of India"
    sbin.save()
    page.set_viewport_size({"width": width, "height": 900})
    login(page, user.username, password)
    open_section(page, "backtests")

    expect(page.get_by_test_id("stored-range")).to_contain_text("2023-01-02")
    page.get_by_label("Instruments").press_sequentially("state bank", delay=20)
    page.get_by_test_id("use-NSE-SBIN-EQ").click()  # autocomplete: the key goes into the box
    expect(page.get_by_label("Instruments")).to_have_value("NSE:SBIN-EQ")
    expect(page.get_by_test_id("symbol-results")).to_be_empty()
    assert page.get_by_label("From (IST)").input_value() == ""  # the dates stay empty: every stored candle
    page.get_by_test_id("run-submit").click()

    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "DONE", timeout=60_000)
    expect(page.get_by_test_id("few-trades")).to_contain_text(re.compile(r"Only \d+ trades?: too few"))
    assert page.locator("main").evaluate("el => el.scrollWidth <= el.clientWidth")
