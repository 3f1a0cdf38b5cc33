"""The top bar (account mode, feed, market state), the new pages and the honest-money texts, through Django's client."""

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core.clock import IST
from dashboard.context_processors import feed_badge, feed_cache_clear
from marketdata.demo import demo_instruments_import
from marketdata.market_hours import session_state
from marketdata.models import FeedStatus, Instrument
from marketdata.services import market_state_flush
from marketdata.ticks import QuoteRow
from orders import services
from orders.books import AccountBooks, risk_usage_verify
from orders.models import LedgerEntry, Order, OrderStatus
from orders.validation import OrderParams

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh_feed_cache():
    feed_cache_clear()
    yield
    feed_cache_clear()


def quote(instrument, ltp: str, *, bid=None, ask=None, close=None):
    value = Decimal(ltp)
    row = QuoteRow(
        instrument.id,
        value,
        Decimal(bid) if bid else None,
        Decimal(ask) if ask else None,
        None,
        None,
        None,
        Decimal(close) if close else value,
        0,
        time.time(),
    )
    market_state_flush(quotes=[row], candles=[])


@pytest.fixture
def market(db):
    demo_instruments_import()
    instruments = {i.symbol: i for i in Instrument.objects.filter(symbol__in=["SBIN-EQ", "NIFTY29DEC2625500CE"])}
    quote(instruments["SBIN-EQ"], "800.00", bid="799.95", ask="800.05", close="790.00")
    return instruments


@pytest.fixture
def trader(client, user):
    services.account_open(user=user, starting_funds=Decimal("1000000"), always_open=True)
    client.force_login(user)
    return user


def limit(quantity=1, price="700", side="BUY", product="CNC") -> OrderParams:
    return OrderParams(
        side=side,
        quantity=quantity,
        order_type="LIMIT",
        product=product,
        validity="DAY",
        price=Decimal(price),
        trigger_price=None,
    )


def fill(account_id: int, instrument, **fill) -> None:
    """A fill on a position, under the account's lock as its callers hold it."""
    with AccountBooks.locked(account_id) as books:
        books.position_fill(instrument_id=instrument.id, **fill)


def ist(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=IST)  # 1 Dec 2026 is a Tuesday


# --- Market state -------------------------------------------------------------------------------


@override_settings(MARKET_HOLIDAYS=["2026-12-25"])
def test_the_session_state_of_nse_and_nfo_follows_the_ist_clock():
    assert session_state("NSE", ist(1, 8, 59)) == "closed"
    assert session_state("NSE", ist(1, 9, 0)) == "pre-open"
    assert session_state("NFO", ist(1, 9, 14)) == "pre-open"
    assert session_state("NFO", ist(1, 9, 15)) == "open"
    assert session_state("NSE", ist(1, 15, 29)) == "open"
    assert session_state("NSE", ist(1, 15, 30)) == "closed"
    assert session_state("NSE", ist(5, 11, 0)) == "closed"  # a Saturday
    assert session_state("NFO", ist(25, 11, 0)) == "holiday"


def test_the_top_bar_shows_nse_and_nfo_sessions_unless_the_paper_market_never_closes(client, trader, monkeypatch):
    monkeypatch.setattr("core.clock.now", lambda: ist(1, 9, 5).astimezone(UTC))
    html = client.get("/").content.decode()
    assert 'data-testid="market-status"' in html and "Simulated market: always open" in html
    assert 'data-testid="market-NSE"' not in html
    TradingAccount.objects.filter(user=trader).update(always_open=False)
    from accounts.selectors import trading_account_cache_clear

    trading_account_cache_clear()
    html = client.get("/").content.decode()
    assert 'data-testid="market-NSE" data-state="pre-open"' in html
    assert 'data-testid="market-NFO" data-state="pre-open"' in html
    assert "always open" not in html


# --- Feed -----------------------------------------------------------------------------------------


def beat(source: str, tick_age: float | None, heartbeat_age: float = 0.5):
    now = datetime.now(UTC)
    FeedStatus.objects.update_or_create(
        source=source,
        defaults={
            "started_at": now - timedelta(hours=1),
            "heartbeat_at": now - timedelta(seconds=heartbeat_age),
            "last_tick_at": None if tick_age is None else now - timedelta(seconds=tick_age),
        },
    )


@pytest.mark.parametrize(
    ("source", "tick_age", "heartbeat_age", "expected", "freshness"),
    [
        ("simulated", 0.4, 0.5, ("simulated", "Simulated", "live"), r"last tick 0\.[45] s ago"),
        ("replay", 42, 0.5, ("replay", "Replay", "stale"), r"last tick 4[23] s ago"),
        ("angelone", 1.0, 30, ("live", "Live", "stale"), r"last tick 1\.[01] s ago"),  # the heartbeat is silent
        ("simulated", None, 0.5, ("simulated", "Simulated", "stale"), r"no tick yet"),
        ("simulated", 3600, 3600, ("none", "No feed", "off"), r"no market data feed is running"),
    ],
)
def test_the_feed_badge_says_which_feed_and_how_fresh(db, source, tick_age, heartbeat_age, expected, freshness):
    beat(source, tick_age, heartbeat_age)
    badge = feed_badge(datetime.now(UTC))
    assert (badge.source, badge.label, badge.state) == expected
    assert re.fullmatch(freshness, badge.freshness), badge.freshness


def test_no_feed_at_all_is_said_plainly(db):
    assert feed_badge(datetime.now(UTC)).label == "No feed"


# --- Paper and live -------------------------------------------------------------------------------


def test_a_paper_account_says_paper_and_a_live_one_says_live_on_every_page_and_on_the_ticket(client, trader, market):
    html = client.get("/market/instruments/NSE/SBIN-EQ/").content.decode()
    assert 'data-testid="account-mode" title="Paper account' in html and ">PAPER</span>" in html
    assert 'class="mode-paper"' in html and 'data-testid="ticket-live"' not in html
    TradingAccount.objects.filter(user=trader).update(mode=TradingAccount.Mode.LIVE)
    from accounts.selectors import trading_account_cache_clear

    trading_account_cache_clear()
    for path in ("/", "/trading/orders/", "/trading/positions/", "/trading/funds/", "/strategies/"):
        html = client.get(path).content.decode()
        assert ">LIVE</span>" in html and 'class="mode-live"' in html, path
    html = client.get("/market/instruments/NSE/SBIN-EQ/").content.decode()
    assert 'data-testid="ticket-live">LIVE</span>' in html  # on the ticket's button
    html = client.get("/trading/funds/").content.decode()
    assert 'data-testid="funds-live"' in html and 'data-testid="funds-submit"' not in html
    response = client.post("/trading/funds/move/", {"direction": "deposit", "amount": "100"}, **HTMX)
    assert (
        response.status_code == 422 and "A live account&#x27;s money moves at the broker" in response.content.decode()
    )


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_pages_get_the_styled_404_with_or_without_debug(client, trader, debug):
    with override_settings(DEBUG=debug):
        response = client.get("/no/such/page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert 'data-testid="error-page"' in html and "That page does not exist" in html
        assert "Using the URLconf" not in html  # never Django's debug page
        api = client.get("/api/v1/no-such-endpoint/")
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
        assert client.get("/trading/orders").status_code == 301  # a missing slash is still added


def test_the_strategies_page_starts_and_lists_runs_and_backtests_is_its_own_page(client, trader):
    html = client.get("/strategies/").content.decode()
    assert 'data-testid="run-form"' in html and "<h1>Strategies</h1>" in html and 'data-testid="runs-list"' in html
    assert 'data-testid="nav-strategies" aria-current="page"' in html
    html = client.get("/strategies/backtests/").content.decode()
    assert 'data-testid="run-form"' not in html and 'data-testid="run-submit"' in html
    assert 'data-testid="nav-backtests" aria-current="page"' in html


def test_the_status_strip_refreshes_slowly_and_at_once_on_a_notice_or_an_order(client, trader):
    html = client.get("/trading/status/", **HTMX).content.decode()
    assert html.lstrip().startswith('<div class="statusbar"')
    # The market's state and the feed's age every 30 s; a trading state change comes on the stream's notices
    # (a kill switch or a halt at once), and the trader's own order action redraws it too.
    assert 'hx-trigger="every 30s, ordersChanged from:body, streamNotices from:body, streamPoll from:body"' in html


def test_holdings_show_cost_value_pnl_and_day_change(client, trader, market):
    sbin = market["SBIN-EQ"]
    account_id = default_account_for(trader).id
    fill(account_id, sbin, product="CNC", side="BUY", quantity=10, price=Decimal("800.05"))
    fill(account_id, sbin, product="MIS", side="BUY", quantity=3, price=Decimal("801"))  # not a holding
    html = client.get("/trading/holdings/").content.decode()
    assert 'data-testid="holding-qty">10<' in html
    assert 'data-testid="holdings-invested">₹8,000.50<' in html
    assert "-₹0.50" in html  # P&L: 10 x (800.00 - 800.05)
    assert "+₹100.00" in html  # day's change: 10 x (800.00 - 790.00)
    assert 'data-testid="holding-sell"' in html and "quantity=10&amp;product=CNC" in html  # exit pre-filled


# --- Honest money and messages on the ticket ---------------------------------------------------------


def estimate(client, instrument, **fields) -> str:
    body = {"instrument_id": instrument.id, "side": "BUY", "quantity": "1", "order_type": "MARKET", "product": "CNC"}
    return client.get("/trading/orders/ticket/estimate/", {**body, **fields}).content.decode()


def test_the_estimate_is_what_the_order_blocks_and_says_why(client, trader, market):
    sbin, call = market["SBIN-EQ"], market["NIFTY29DEC2625500CE"]
    html = estimate(client, sbin, quantity="10")
    assert 'data-testid="ticket-margin">₹8,080.51<' in html  # 10 x 800.05 (the ask) x 1.01
    assert "Blocks at 800.05 (the ask) plus 1% for a MARKET order" in html
    assert 'data-testid="ticket-value">₹8,000.50<' in html  # the value itself carries no buffer
    html = estimate(client, sbin, quantity="10", order_type="LIMIT", price="700", product="MIS")
    assert 'data-testid="ticket-margin">₹1,400.00<' in html and "MIS blocks 20% of the order value." in html
    assert "plus 1%" not in html  # no buffer for a limit
    html = estimate(client, sbin, side="SELL", quantity="5")
    assert "You can sell at most 0 of SBIN in CNC" in html  # nothing held to deliver
    html = estimate(client, call, quantity="65", order_type="LIMIT", price="120", product="NRML")
    assert 'data-testid="ticket-margin">₹7,800.00<' in html and "Option buyers pay the full premium." in html
    html = estimate(client, call, quantity="6500", order_type="LIMIT", price="200", product="NRML")
    assert 'data-testid="ticket-short"' in html  # ₹13,00,000 is more than the ₹10,00,000 available


def test_the_estimate_says_which_part_closes_a_position(client, trader, market):
    sbin = market["SBIN-EQ"]
    fill(default_account_for(trader).id, sbin, product="MIS", side="BUY", quantity=4, price=Decimal("800"))
    html = estimate(client, sbin, side="SELL", quantity="10", order_type="LIMIT", price="810", product="MIS")
    assert "4 of 10 close your position and block nothing." in html
    assert 'data-testid="ticket-margin">₹972.00<' in html  # the 6 that open a short: 6 x 810 x 20%


# --- Orders: notices that end, quantities at the end, old and new values ------------------------------


def test_a_cancel_notice_asks_again_while_pending_and_stops_with_the_outcome(client, trader, market):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=limit(quantity=10))
    Order.objects.filter(id=order.id).update(status=OrderStatus.CANCEL_PENDING)
    html = client.get(f"/trading/orders/{order.id}/notice/", {"about": "cancel"}).content.decode()
    assert f"Cancelling order #{order.id}: waiting for the broker…" in html
    assert 'hx-trigger="streamRefresh, streamResync from:body, streamPoll from:body"' in html  # the stream says when
    Order.objects.filter(id=order.id).update(status=OrderStatus.CANCELLED, filled_quantity=3)
    risk_usage_verify([order.account_id])  # set behind the books: the running risk usage from the rows
    html = client.get(f"/trading/orders/{order.id}/notice/", {"about": "cancel"}).content.decode()
    assert f"Order #{order.id} cancelled: 3 of 10 filled, 7 cancelled." in html
    assert "hx-trigger" not in html and "waiting" not in html
    book = client.get("/trading/orders/book/").content.decode()
    assert 'data-testid="order-qty">3 / 10<' in book and 'data-testid="order-unfilled"> 7 cancelled<' in book
    detail = client.get(f"/trading/orders/{order.id}/").content.decode()
    assert "(filled 3, cancelled 7)" in detail


def test_cancelling_one_order_asks_first(client, trader, market):
    services.order_place(user=trader, instrument=market["SBIN-EQ"], params=limit(quantity=2))
    book = client.get("/trading/orders/book/").content.decode()
    assert 'hx-confirm="Cancel order #' in book and "BUY 2 SBIN at 700.00?" in book


def test_a_modification_shows_old_and_new_values_in_the_history(client, trader, market):
    order, _ = services.order_place(user=trader, instrument=market["SBIN-EQ"], params=limit(quantity=10))
    Order.objects.filter(id=order.id).update(status=OrderStatus.OPEN)
    order.refresh_from_db()
    services.order_modify(user=trader, order=order, changes={"price": Decimal("1650"), "quantity": 20})
    html = client.get(f"/trading/orders/{order.id}/").content.decode()
    assert 'data-testid="event-changes"' in html
    assert '<span class="muted">quantity</span> <span class="old">10</span> → <strong>20</strong>' in html
    assert '<span class="muted">price</span> <span class="old">700.00</span> → <strong>1,650.00</strong>' in html
    assert 'data-testid="detail-requested">quantity 10 → 20 · price 700.00 → 1,650.00' in html


def test_the_chart_gets_the_traders_own_working_orders_and_position(client, trader, market):
    sbin = market["SBIN-EQ"]
    services.order_place(user=trader, instrument=sbin, params=limit(quantity=2, price="750.5"))
    fill(default_account_for(trader).id, sbin, product="CNC", side="BUY", quantity=5, price=Decimal("790"))
    lines = client.get(f"/trading/chart/{sbin.id}/lines/").json()["lines"]
    assert [(line["kind"], line["price"], line["label"]) for line in lines] == [
        ("order", "750.500000", "BUY 2 LIMIT"),
        ("position", "790.000000", "Avg CNC +5"),
    ]
    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(f"/trading/chart/{sbin.id}/lines/").json()["lines"] == []  # only one's own


def test_funds_move_from_the_dashboard_with_clear_errors(client, trader):
    response = client.post("/trading/funds/move/", {"direction": "deposit", "amount": "1,00,000"}, **HTMX)
    assert response.status_code == 200 and "ordersChanged" in response["HX-Trigger"]
    assert 'data-testid="funds-moved">₹1,00,000.00 added.' in response.content.decode()
    response = client.post("/trading/funds/move/", {"direction": "deposit", "amount": "lots"}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="funds-error-amount">Enter an amount in rupees, e.g. 50,000.' in response.content.decode()
    response = client.post("/trading/funds/move/", {"direction": "withdraw", "amount": "0.001"}, **HTMX)
    assert 'data-testid="funds-error-amount">Enter rupees and paise: at most two decimals.' in response.content.decode()
    response = client.post("/trading/funds/move/", {"direction": "withdraw", "amount": "100"})  # no JavaScript
    assert response.status_code == 302 and response["Location"] == "/trading/funds/"
    assert list(LedgerEntry.objects.values_list("kind", flat=True)) == ["WITHDRAWAL", "DEPOSIT", "DEPOSIT"]
