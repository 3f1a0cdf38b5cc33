"""A trader connects Angel One (the fake) in the dashboard, switches to live, trades, and is told of a late
rejection. Chromium against the live server, a real Celery worker pointed at the fake."""

import pytest
from playwright.sync_api import expect

from orders import services
from orders.models import Order
from orders.services import account_open
from tests.e2e.conftest import login, open_section, placed_order_id
from tests.fakes.angelone import TEST_CLIENT
from tests.orders.conftest import set_quote

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
BROKER_WAIT = 20_000


@pytest.fixture
def live_worker(fake, exclusive_workers, settings):
    settings.QUOTES_STALE_AFTER_SECONDS = 600
    process = exclusive_workers(
        ANGELONE_ROOT_URL=fake.url, BROKER_PUBLIC_IP_URL=f"{fake.url}/admin/ip", QUOTES_STALE_AFTER_SECONDS="600"
    )
    yield process
    process.kill()


def place_market_buy(page, quantity: int) -> int:
    set_quote("NSE", "SBIN-EQ", "800.00", bid="799.95", ask="800.05")
    page.goto("/market/instruments/NSE/SBIN-EQ/")
    page.wait_for_load_state("load")
    page.get_by_test_id("action-buy").click()  # on a phone the ticket rises as a bottom sheet
    ticket = page.get_by_test_id("order-ticket")
    ticket.get_by_test_id("ticket-quantity").fill(str(quantity))
    ticket.get_by_test_id("ticket-submit").click()
    order_id = placed_order_id(page)
    expect(ticket).not_to_be_in_viewport()  # the sheet closed once the order was placed
    return order_id


def test_a_trader_connects_angel_one_goes_live_trades_and_sees_a_late_rejection(
    page,
    user,
    password,
    market,
    fake,
    live_worker,
):
    account_open(user=user, always_open=True)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, user.username, password)

    open_section(page, "broker")
    expect(page.get_by_test_id("broker-mode")).to_have_text("PAPER")
    expect(page.get_by_test_id("account-mode")).to_have_text("PAPER")  # the top bar says so too
    form = page.get_by_test_id("credentials-form")
    form.get_by_label("Client code").fill(TEST_CLIENT["client_code"])
    form.get_by_label("Registered static IP").fill("203.0.113.7")
    form.get_by_label("API key").fill(TEST_CLIENT["api_key"])
    form.get_by_label("PIN").fill(TEST_CLIENT["pin"])
    form.get_by_label("TOTP secret").fill(TEST_CLIENT["totp_secret"])
    page.get_by_test_id("broker-save").click()
    expect(page.get_by_text("Credentials saved")).to_be_visible()
    expect(page.get_by_label("PIN")).to_have_value("")  # write-only: never sent back
    assert TEST_CLIENT["totp_secret"] not in page.content()

    page.get_by_test_id("broker-connect").click()
    expect(page.get_by_text("Logged in to Angel One.")).to_be_visible()
    expect(page.get_by_test_id("session-status")).to_contain_text("Connected")
    expect(page.get_by_test_id("ip-warning")).to_contain_text("203.0.113.7")  # not this machine's address
    page.get_by_test_id("switch-live").click()
    expect(page.get_by_test_id("broker-mode")).to_have_text("LIVE")
    expect(page.get_by_test_id("account-mode")).to_have_text("LIVE")
    # The page itself fits a phone (the top bar is the layout's, restyled phone-first elsewhere).
    too_wide = "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391).length"
    assert page.evaluate(too_wide) == 0

    filled = place_market_buy(page, 2)
    open_section(page, "orders")
    row = page.locator(f'[data-testid="order-row"][data-order-id="{filled}"]')
    expect(row.get_by_test_id("order-status")).to_have_text("Filled", timeout=BROKER_WAIT)
    assert [r["ordertag"] for r in fake.state.orders.values()] == [f"T{filled}"]

    fake.faults(late_reject_next=1, late_reject_after=0.1, late_reject_text="RMS:Margin Exceeds")
    rejected = place_market_buy(page, 3)
    open_section(page, "orders")
    row = page.locator(f'[data-testid="order-row"][data-order-id="{rejected}"]')
    expect(row.get_by_test_id("order-status")).to_have_text("Open", timeout=BROKER_WAIT)  # accepted, not done
    for _ in range(50):  # beat's reconciliation, run here: the order book says it was rejected
        services.orders_reconcile()
        if Order.objects.get(id=rejected).status == "REJECTED":
            break
        page.wait_for_timeout(200)
    notice = page.locator('[data-testid="notice"][data-code="broker_rejected"]')
    expect(notice).to_contain_text("after accepting it: RMS:Margin Exceeds", timeout=BROKER_WAIT)
    expect(row.get_by_test_id("order-status")).to_have_text("Rejected", timeout=BROKER_WAIT)
    notice.get_by_test_id("notice-dismiss").click()
    expect(notice).to_have_count(0)
