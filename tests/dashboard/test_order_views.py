"""The orders dashboard's views through Django's test client: parsing, errors beside fields, scoping."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from marketdata.models import Instrument
from orders.forms import ModifyForm
from orders.models import Order, OrderStatus
from orders.services import account_open, order_place
from orders.validation import OrderParams
from tests.accounts.factories import UserFactory
from tests.dashboard.conftest import HTMX, ticket

pytestmark = pytest.mark.django_db


def test_the_orders_page_shows_the_ticket_and_an_empty_book(client, trader):
    response = client.get("/trading/orders/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="order-ticket"' in html and 'data-testid="orders-empty"' in html
    assert 'aria-current="page">Orders' in html


def test_non_numeric_quantity_and_price_are_shown_beside_their_fields(client, trader, market):
    body = ticket(market["SBIN-EQ"], quantity="ten", order_type="LIMIT", price="12O.5")
    response = client.post("/trading/orders/place/", body, **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="ticket-error-quantity">Enter a whole number.' in html
    assert 'data-testid="ticket-error-price">Enter a number, e.g. 1234.50.' in html
    assert 'value="ten"' in html  # the trader's input is kept to correct it
    assert not Order.objects.exists()


def test_a_domain_error_without_a_ticket_field_goes_to_the_top(client, trader, market):
    nifty = Instrument.objects.get(symbol="Nifty 50")
    page = client.get("/market/instruments/NSE/Nifty 50/").content.decode()
    assert 'data-testid="ticket-not-tradable"' in page and 'data-testid="ticket-submit"' not in page
    response = client.post("/trading/orders/place/", ticket(nifty), **HTMX)  # no symbol field on this ticket
    assert response.status_code == 422
    assert 'data-testid="ticket-error">NSE:Nifty 50 is an index' in response.content.decode()
    response = client.post("/trading/orders/place/", ticket(market["SBIN-EQ"], product="NRML"), **HTMX)
    assert response.status_code == 422
    assert 'data-testid="ticket-error-product">NRML is for futures and options only' in response.content.decode()


def test_an_order_placed_from_the_ticket_is_a_dashboard_order_and_refreshes_the_book(client, trader, market):
    body = ticket(market["SBIN-EQ"], order_type="LIMIT", price="700", client_order_id="web-abc")
    response = client.post("/trading/orders/place/", body, **HTMX)
    assert response.status_code == 200
    assert "ordersChanged" in response["HX-Trigger"]
    order = Order.objects.get()
    assert (order.source, order.price, order.client_order_id) == ("dashboard", Decimal("700"), "web-abc")
    assert f'Order <a href="/trading/orders/{order.id}/">#{order.id}</a> placed' in response.content.decode()
    # The same ticket submitted twice (a double click) still makes one order.
    client.post("/trading/orders/place/", body, **HTMX)
    assert Order.objects.count() == 1


def test_the_ticket_finds_instruments_by_key_or_by_search_and_explains_unknown_ones(client, trader, market):
    for text in ("nse:SBIN-EQ", "SBIN", "sbin"):  # EXCHANGE:SYMBOL in any case, or the search's best match
        response = client.get("/trading/orders/ticket/", {"symbol": text, "mode": "search"})
        assert f'name="instrument_id" value="{market["SBIN-EQ"].id}"' in response.content.decode(), text
    response = client.get("/trading/orders/ticket/", {"symbol": "NSE:NOPE-EQ", "mode": "search"})
    assert 'data-testid="ticket-error-symbol">No listed instrument NSE:NOPE-EQ.' in response.content.decode()
    response = client.get("/trading/orders/ticket/", {"symbol": "ZZZNOPE"})  # no search box: at the top
    assert 'data-testid="ticket-error">No instrument matches “ZZZNOPE”.' in response.content.decode()


def test_the_ticket_opens_pre_filled_from_a_row(client, trader, market):
    sbin = market["SBIN-EQ"]
    query = {"instrument_id": sbin.id, "side": "SELL", "quantity": "7", "product": "MIS", "sheet": "1"}
    html = client.get("/trading/orders/ticket/", query).content.decode()
    assert 'data-side="SELL"' in html and 'value="7" data-testid="ticket-quantity"' in html
    assert 'name="sheet" value="1"' in html and 'data-testid="ticket-close"' in html
    assert 'value="MIS" data-hint="Intraday: squared off before the close" checked' in html
    # A product the instrument does not take falls back to the first it does.
    html = client.get("/trading/orders/ticket/", {**query, "product": "NRML"}).content.decode()
    assert 'value="CNC" data-hint="Delivery: shares held overnight" checked' in html


def test_placing_without_a_chosen_instrument_places_nothing(client, trader, market):
    body = {k: v for k, v in ticket(market["SBIN-EQ"]).items() if k != "instrument_id"}
    response = client.post("/trading/orders/place/", {**body, "mode": "search", "q": "SBIN"}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="ticket-error-symbol">Choose an instrument' in response.content.decode()
    assert 'value="SBIN"' in response.content.decode()  # what was typed stays
    assert not Order.objects.exists()


def test_someone_elses_order_is_a_404_everywhere(client, trader, market):
    other = UserFactory()
    account_open(user=other, starting_funds=Decimal("1000000"), always_open=True)
    params = OrderParams(
        side="BUY",
        quantity=1,
        order_type="LIMIT",
        product="CNC",
        validity="DAY",
        price=Decimal("700"),
        trigger_price=None,
    )
    theirs, _ = order_place(user=other, instrument=market["SBIN-EQ"], params=params)
    for method, url in (
        ("get", f"/trading/orders/{theirs.id}/"),
        ("get", f"/trading/orders/{theirs.id}/modify/"),
        ("post", f"/trading/orders/{theirs.id}/modify/"),
        ("post", f"/trading/orders/{theirs.id}/cancel/"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 404, url
        assert "That page does not exist" in response.content.decode()
    assert Order.objects.get(id=theirs.id).status == OrderStatus.NEW


def test_the_order_detail_shows_fields_and_history_in_ist(client, trader, market):
    client.post("/trading/orders/place/", ticket(market["SBIN-EQ"], order_type="LIMIT", price="700"), **HTMX)
    order = Order.objects.get()
    response = client.get(f"/trading/orders/{order.id}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Order #{order.id}" in html and "₹700.00" in html
    assert 'data-testid="order-event"' in html and "Accepted; ₹700.00 reserved" in html
    local = order.created_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert local.strftime("%H:%M:%S") in html


def test_a_new_order_can_be_cancelled_from_the_book(client, trader, market):
    client.post("/trading/orders/place/", ticket(market["SBIN-EQ"], order_type="LIMIT", price="700"), **HTMX)
    order = Order.objects.get()
    book = client.get("/trading/orders/book/").content.decode()
    assert 'data-testid="order-cancel"' in book and 'data-testid="order-modify"' not in book  # NEW: cancel only
    response = client.post(f"/trading/orders/{order.id}/cancel/", **HTMX)
    assert response.status_code == 200
    assert f"Order #{order.id} cancelled." in response.content.decode()
    assert Order.objects.get().status == OrderStatus.CANCELLED
    response = client.post(f"/trading/orders/{order.id}/cancel/", **HTMX)
    assert response.status_code == 422
    assert "cannot be cancelled now" in response.content.decode()
    response = client.post("/trading/orders/cancel-all/", **HTMX)
    assert "No working order to cancel." in response.content.decode()


def test_modify_errors_are_shown_beside_the_field(client, trader, market):
    client.post("/trading/orders/place/", ticket(market["SBIN-EQ"], order_type="LIMIT", price="700"), **HTMX)
    order = Order.objects.get()
    Order.objects.filter(id=order.id).update(status=OrderStatus.OPEN)  # as if the broker had accepted it
    form = client.get(f"/trading/orders/{order.id}/modify/").content.decode()
    assert 'data-testid="modify-price"' in form and 'value="700"' in form
    response = client.post(f"/trading/orders/{order.id}/modify/", {"price": "abc"}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="modify-error-price">Enter a number' in response.content.decode()
    response = client.post(f"/trading/orders/{order.id}/modify/", {"price": "700.03"}, **HTMX)
    assert response.status_code == 422
    assert 'data-testid="modify-error-price">The price must be a multiple of the tick size' in response.content.decode()
    response = client.post(f"/trading/orders/{order.id}/modify/", {"price": "700", "quantity": "1"}, **HTMX)
    assert 'data-testid="modify-error">Change at least one' in response.content.decode()


def test_the_modify_form_sends_only_what_changed():
    order = Order(quantity=10, order_type="LIMIT", price=Decimal("700"), trigger_price=None)
    form = ModifyForm({"quantity": "10", "order_type": "LIMIT", "price": "650.00", "trigger_price": ""})
    assert form.is_valid()
    assert form.changes(order) == {"price": Decimal("650.00")}
    form = ModifyForm({"quantity": "20", "order_type": "MARKET", "price": "700"})
    assert form.is_valid()
    assert form.changes(order) == {"quantity": 20, "order_type": "MARKET"}


def test_positions_page_shows_funds_with_indian_grouping(client, trader):
    response = client.get("/trading/positions/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="funds-available" data-funds-field="available">₹10,00,000.00' in html
    assert 'data-testid="positions-empty"' in html and 'data-testid="trades-empty"' in html
    response = client.post("/trading/positions/close-all/", **HTMX)
    assert "No open position to square off." in response.content.decode()


def test_square_off_of_a_position_not_held_is_an_inline_error(client, trader, market):
    body = {"instrument_id": market["SBIN-EQ"].id, "product": "CNC"}
    response = client.post("/trading/positions/close/", body, **HTMX)
    assert response.status_code == 422
    assert "You hold no open position in NSE:SBIN-EQ." in response.content.decode()
    response = client.post("/trading/positions/close/", {"instrument_id": "x"}, **HTMX)
    assert response.status_code == 422


def test_the_dashboard_shows_funds_or_says_there_is_no_account(client, user):
    client.force_login(user)
    assert 'data-testid="funds-none"' in client.get("/").content.decode()
    assert 'data-testid="funds-none"' in client.get("/trading/positions/").content.decode()
    account_open(user=user, starting_funds=Decimal("250000"))
    assert 'data-testid="summary-available">₹2,50,000.00' in client.get("/").content.decode()


def test_pages_need_a_login(client):
    for url in ("/trading/orders/", "/trading/positions/", "/trading/orders/1/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
