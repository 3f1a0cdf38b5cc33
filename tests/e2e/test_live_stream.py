"""The dashboard on the live stream: a quote and an order's fill reach the page by push, at both sizes,
with no request to the quote or order endpoints; and a page whose socket drops says so and recovers."""

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketdata.selectors import instrument_get_by_key, quotes_get
from orders.models import Order, OrderStatus
from orders.services import order_modify, order_place
from orders.validation import OrderParams

from .conftest import DESK, PHONE, login

pytestmark = [pytest.mark.e2e, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# What the pages polled before the stream: the quotes API, the order book and the orders API.
POLLED = re.compile(r"/api/v1/(quotes|orders)|/trading/orders/")


def _ltp(instrument) -> Decimal:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        quote = quotes_get([instrument.id])[0].get(instrument.id)
        if quote is not None and quote.ltp:
            return quote.ltp
        time.sleep(0.2)
    raise AssertionError("the feed gave SBIN no price")


def _on_tick(price: Decimal, tick: Decimal = Decimal("0.05")) -> Decimal:
    return (price / tick).to_integral_value() * tick


def _limit(side: str, price: Decimal) -> OrderParams:
    return OrderParams(
        side=side, quantity=1, order_type="LIMIT", product="MIS", validity="DAY", price=price, trigger_price=None
    )


def _wait_status(order_id: int, statuses: set[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Order.objects.get(id=order_id).status in statuses:
            return
        time.sleep(0.1)
    raise AssertionError(f"order {order_id} is {Order.objects.get(id=order_id).status}, not one of {statuses}")


def _watch_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.resource_type in ("xhr", "fetch") else None)
    return seen


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_a_quote_and_a_fill_appear_by_push_without_asking_the_quote_or_order_endpoints(
    open_page, trader, password, feed, worker, viewport
):
    sbin = instrument_get_by_key(exchange="NSE", symbol="SBIN-EQ")
    ltp = _ltp(sbin)
    order, _ = order_place(user=trader, instrument=sbin, params=_limit("BUY", _on_tick(ltp * Decimal("0.8"))))
    _wait_status(order.id, {OrderStatus.OPEN})

    page = open_page(viewport)
    login(page, trader.username, password)
    requests = _watch_requests(page)

    # The watchlist: SBIN's row moves with the feed's ticks.
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-stream", "live")
    row = page.locator('[data-testid="watch-row"][data-quote-key="NSE:SBIN-EQ"]')
    first = row.get_attribute("data-ltp")
    page.wait_for_function(
        "([el, first]) => el.dataset.ltp && el.dataset.ltp !== first", arg=[row.element_handle(), first], timeout=20_000
    )

    # The order book: the resting order fills once it is moved above the market, and the row says so.
    page.goto("/trading/orders/")
    expect(page.locator("html")).to_have_attribute("data-stream", "live")
    booked = page.locator(f'tr[data-order-id="{order.id}"]')
    expect(booked).to_have_attribute("data-status", "OPEN")
    order_modify(user=trader, order=order, changes={"price": _on_tick(_ltp(sbin) * Decimal("1.05"))})
    page.get_by_test_id("orders-tab-executed").click()
    expect(booked).to_have_attribute("data-status", "FILLED", timeout=20_000)
    expect(booked.get_by_test_id("order-status")).to_have_text("Filled")
    expect(booked.get_by_test_id("order-qty")).to_have_text("1 / 1")
    expect(booked.get_by_test_id("order-avg")).not_to_have_text("—")

    polled = [url for url in requests if POLLED.search(url)]
    assert polled == [], f"asked the quote or order endpoints: {polled}"


def test_a_page_whose_stream_stops_says_reconnecting_and_is_live_again_when_it_is_back(
    open_page, trader, password, live_stream
):
    page = open_page(DESK)
    login(page, trader.username, password)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("data-stream", "live")
    expect(page.get_by_test_id("stream-reconnecting")).to_be_hidden()

    live_stream.stop()
    expect(page.locator("html")).to_have_attribute("data-stream", "reconnecting")
    expect(page.get_by_test_id("stream-reconnecting")).to_be_visible()

    live_stream.start()  # the same port: the page's retry finds it
    expect(page.locator("html")).to_have_attribute("data-stream", "live", timeout=40_000)
    expect(page.get_by_test_id("stream-reconnecting")).to_be_hidden()
