"""The Accounts page on a phone (390 px, by touch): the trader opens a second paper account there, switches to it
with the top bar's switcher and sees its name and PAPER; the page fits the screen and its targets a finger."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import TradingAccount
from orders.models import Funds
from tests.e2e.conftest import PHONE, login, page_width, screenshot
from tests.e2e.test_layout import layout_problems, settle

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MIN_TARGET_PX = 44
TARGETS = (
    "trading-account-open",
    "trading-account-rename",
    "trading-account-make-default",
    "trading-account-reset",
    "account-option",
    "account-manage",
)


def _fits(page) -> None:
    assert page_width(page) == (PHONE["width"], PHONE["width"]), f"{page.url} scrolls sideways"
    assert layout_problems(page, touch=True) == []  # among them: every tap target at least 44x44 px


def _targets_big_enough(page) -> None:
    for test_id in TARGETS:
        for target in page.get_by_test_id(test_id).all():
            if not target.is_visible():  # the switcher's menu while it is closed
                continue
            box = target.bounding_box()
            assert box["height"] >= MIN_TARGET_PX and box["width"] >= MIN_TARGET_PX, f"{test_id}: {box}"


def test_a_trader_opens_a_second_paper_account_and_switches_to_it_on_a_phone(open_page, trader, password):
    page = open_page(PHONE, touch=True)
    login(page, trader.username, password)

    # From the switcher to the Accounts page.
    page.get_by_test_id("account-switcher").locator("summary").tap()
    page.get_by_test_id("account-manage").tap()
    page.wait_for_url("**/trading/accounts/")
    settle(page)
    expect(page.get_by_test_id("tab-trading-accounts")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("trading-account")).to_have_count(1)
    _fits(page)

    # Open a second paper account with its own starting capital.
    page.get_by_label("Name", exact=True).fill("Family paper")
    page.get_by_label("Starting capital ₹").fill("2,50,000")
    page.get_by_test_id("trading-account-open").tap()
    page.wait_for_url("**/trading/accounts/")
    settle(page)
    expect(page.locator(".flash-success")).to_contain_text("Opened the paper account Family paper with ₹2,50,000.00")
    expect(page.get_by_test_id("trading-account")).to_have_count(2)
    family = TradingAccount.objects.get(user=trader, name="Family paper")
    row = page.locator(f'[data-testid=trading-account][data-account-id="{family.id}"]')
    expect(row.get_by_test_id("trading-account-mode")).to_have_text("PAPER")
    expect(row.get_by_test_id("trading-account-default")).to_have_text("no")
    assert Funds.objects.get(account=family).cash == 250000
    _fits(page)
    _targets_big_enough(page)
    screenshot(page, "phone-trading-accounts")

    # A taken name is refused beside the field, and nothing is opened.
    page.get_by_label("Name", exact=True).fill("Family paper")
    page.get_by_test_id("trading-account-open").tap()
    expect(page.get_by_test_id("trading-account-open-error")).to_contain_text("already have an account named")
    _fits(page)

    # Switch to it with the switcher: its name and PAPER in the top bar.
    page.get_by_test_id("account-switcher").locator("summary").tap()
    expect(page.get_by_test_id("account-option")).to_have_count(2)
    _fits(page)
    _targets_big_enough(page)
    page.locator(f'[data-testid=account-option][data-account-id="{family.id}"]').tap()
    page.wait_for_url("**/trading/accounts/")
    settle(page)
    expect(page.get_by_test_id("account-name")).to_have_text("Family paper")
    expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")
    expect(row.get_by_test_id("trading-account-shown")).to_have_count(1)
    _fits(page)
    screenshot(page, "phone-trading-accounts-switched")

    # Its reset asks first and says what it does.
    row.get_by_test_id("trading-account-reset").tap()
    page.wait_for_url(re.compile(rf"/trading/accounts/{family.id}/reset/\??$"))  # a GET form: an empty query
    settle(page)
    effects = page.get_by_test_id("trading-account-reset-effects")
    expect(effects).to_contain_text("cancels its working orders")
    expect(effects).to_contain_text("₹2,50,000.00")
    _fits(page)
    page.get_by_test_id("trading-account-reset-submit").tap()
    page.wait_for_url("**/trading/accounts/")
    expect(page.locator(".flash-success")).to_contain_text("Reset Family paper: its cash is ₹2,50,000.00 again.")
