"""The account switcher in the top bar, on a phone (390 px, by touch): which account and whether it is PAPER or
LIVE is always in view, switching is a POST, and the pages then show the chosen account's orders only."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from marketdata.selectors import instrument_get_by_key
from orders.services import funds_deposit, order_place, paper_account_open
from tests.e2e.conftest import PHONE, login, page_width, screenshot
from tests.e2e.test_layout import layout_problems, settle
from tests.orders.conftest import params

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MIN_TARGET_PX = 44


def _a_resting_order(trader):
    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    order, _ = order_place(user=trader, instrument=sbin, params=params(quantity=1, order_type="LIMIT", price="1"))
    return order


def _tap_targets_big_enough(page, *test_ids: str) -> None:
    for test_id in test_ids:
        for target in page.get_by_test_id(test_id).all():
            box = target.bounding_box()
            assert box["height"] >= MIN_TARGET_PX and box["width"] >= MIN_TARGET_PX, f"{test_id}: {box}"


def test_the_switcher_shows_the_account_and_switches_it_on_a_phone(open_page, trader, password):
    resting = _a_resting_order(trader)  # on the default account, with a second ledger row there
    funds_deposit(user=trader, account=default_account_for(trader), amount=Decimal("500"))
    family = paper_account_open(user=trader, name="Family paper")
    TradingAccount.objects.filter(pk=family.pk).update(always_open=True)
    page = open_page(PHONE, touch=True)
    login(page, trader.username, password)
    page.goto("/trading/orders/")
    settle(page)

    expect(page.get_by_test_id("account-name")).to_have_text("Paper")
    expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")
    expect(page.locator(f'[data-testid=order-row][data-order-id="{resting.id}"]')).to_have_count(1)

    page.get_by_test_id("account-switcher").locator("summary").tap()
    expect(page.get_by_test_id("account-menu")).to_be_visible()
    expect(page.get_by_test_id("account-option")).to_have_count(2)
    assert page_width(page) == (PHONE["width"], PHONE["width"]), "the open switcher scrolls sideways"
    assert layout_problems(page, touch=True) == []
    _tap_targets_big_enough(page, "account-option")
    screenshot(page, "phone-account-switcher")

    page.locator(f'[data-testid=account-option][data-account-id="{family.id}"]').tap()
    page.wait_for_url("**/trading/orders/")
    settle(page)
    expect(page.get_by_test_id("account-name")).to_have_text("Family paper")
    expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")
    expect(page.locator(f'[data-testid=order-row][data-order-id="{resting.id}"]')).to_have_count(0)
    assert page_width(page) == (PHONE["width"], PHONE["width"]), "the top bar scrolls sideways after switching"
    assert layout_problems(page, touch=True) == []

    page.goto("/trading/funds/")  # the choice holds across pages: the new account's own ledger, its opening only
    expect(page.get_by_test_id("account-name")).to_have_text("Family paper")
    expect(page.get_by_test_id("ledger-row")).to_have_count(1)
