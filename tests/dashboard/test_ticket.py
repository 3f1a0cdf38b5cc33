"""The order ticket through Django's client: one intended order per key, what it keeps after placing or a
refusal, its checks as the trader types, and the account's trading state (issue 20: 8, 9, 11, 13, 16)."""

import re

import pytest

from accounts.selectors import default_account_for
from orders.models import Order, OrderStatus
from orders.services.risk_actions import kill_switch_activate
from risk.models import TradingState
from risk.profiles import risk_profile_for
from risk.services import trading_state_reactivate
from tests.dashboard.conftest import HTMX, ticket

pytestmark = pytest.mark.django_db
PLACE = "/trading/orders/place/"


def key_of(html: str) -> str:
    return re.search(r'name="client_order_id" value="([^"]+)"', html)[1]


def checked(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]+)"[^>]*checked', html)[1]


def toasts(html: str) -> list[str]:
    return re.findall(r'data-testid="toast-placed" data-order-id="(\d+)"', html)


# --- 8: one tap, one order ---------------------------------------------------------------------------------


def test_a_placed_ticket_keeps_its_key_so_a_second_tap_returns_the_first_order(client, trader, market):
    body = ticket(market["SBIN-EQ"], order_type="LIMIT", price="700", client_order_id="web-first")
    first = client.post(PLACE, body, **HTMX).content.decode()
    order = Order.objects.get()
    assert key_of(first) == "web-first"  # the same intended order: a second tap resubmits this key
    assert "data-placed" in first and toasts(first) == [str(order.id)]  # the notice, beside the page
    again = client.post(PLACE, body, **HTMX)
    assert again.status_code == 200 and Order.objects.count() == 1
    assert toasts(again.content.decode()) == []  # no second notice: no second order
    client.post(PLACE, body)  # a plain form post (no JavaScript) with the same key: still the first order
    assert Order.objects.count() == 1


# --- 9: the ticket keeps what the trader chose -------------------------------------------------------------


def test_after_a_sell_the_ticket_keeps_side_type_and_product(client, trader, market):
    body = ticket(market["SBIN-EQ"], side="SELL", order_type="LIMIT", price="810", product="MIS", quantity="3")
    html = client.post(PLACE, body, **HTMX).content.decode()
    assert Order.objects.get().side == "SELL"
    assert 'data-side="SELL"' in html and "<span data-side-label>SELL</span>" in html
    assert (checked(html, "side"), checked(html, "order_type"), checked(html, "product")) == ("SELL", "LIMIT", "MIS")
    assert 'value="810"' in html and 'value="3"' in html


# --- 11: a refusal gives the ticket a new key --------------------------------------------------------------


def test_a_refused_order_gives_the_ticket_a_new_key_so_the_fix_places(client, trader, market):
    profile = risk_profile_for(default_account_for(trader).id)
    profile.max_quantity_equity = 5
    profile.save()
    refused = client.post(PLACE, ticket(market["SBIN-EQ"], quantity="10", client_order_id="web-k1"), **HTMX)
    assert refused.status_code == 422
    assert Order.objects.get(client_order_id="web-k1").status == OrderStatus.REJECTED  # kept in the book
    new_key = key_of(refused.content.decode())
    assert new_key != "web-k1"
    fixed = client.post(PLACE, ticket(market["SBIN-EQ"], quantity="5", client_order_id=new_key), **HTMX)
    assert fixed.status_code == 200
    assert Order.objects.get(client_order_id=new_key).status == OrderStatus.NEW


def test_a_used_key_is_explained_without_internal_ids_and_replaced(client, trader, market):
    client.post(PLACE, ticket(market["SBIN-EQ"], client_order_id="web-old"), **HTMX)
    first = Order.objects.get()
    response = client.post(PLACE, ticket(market["SBIN-EQ"], quantity="2", client_order_id="web-old"), **HTMX)
    html = response.content.decode()
    assert response.status_code == 422 and Order.objects.count() == 1
    message = re.search(r'data-testid="ticket-error">([^<]+)<', html)[1]
    assert "already placed" in message
    assert "web-old" not in message and f"#{first.id}" not in message and "client_order_id" not in message
    assert key_of(html) != "web-old"


# --- 16: checked as the trader types -------------------------------------------------------------------


def estimate(client, instrument, **fields) -> str:
    body = {"instrument_id": instrument.id, "side": "BUY", "quantity": "1", "order_type": "MARKET", "product": "CNC"}
    return client.get("/trading/orders/ticket/estimate/", {**body, **fields}).content.decode()


def field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-field-error="(\w+)"[^>]*>([^<]+)<', html))


@pytest.mark.parametrize(
    ("symbol", "fields", "field", "message"),
    [
        ("SBIN-EQ", {"quantity": "-5"}, "quantity", "Quantity must be a positive whole number."),
        ("SBIN-EQ", {"quantity": "0"}, "quantity", "Quantity must be a positive whole number."),
        ("SBIN-EQ", {"quantity": "1.5"}, "quantity", "Enter a whole number."),
        ("NIFTY29DEC26FUT", {"quantity": "100", "product": "NRML"}, "quantity", "multiple of the lot size 65"),
        ("SBIN-EQ", {"order_type": "LIMIT", "price": "800.03"}, "price", "multiple of the tick size 0.05"),
        ("SBIN-EQ", {"order_type": "LIMIT", "price": "-800"}, "price", "The price must be a positive number."),
    ],
)
def test_the_estimate_checks_the_inputs_and_names_the_field(client, trader, market, symbol, fields, field, message):
    html = estimate(client, market[symbol], **fields)
    assert message in field_errors(html).get(field, ""), html
    assert 'data-testid="ticket-value">—<' in html and 'data-testid="ticket-margin">—<' in html  # nothing valued
    assert "₹-" not in html


def test_valid_inputs_have_no_field_errors(client, trader, market):
    html = estimate(client, market["NIFTY29DEC26FUT"], quantity="65", product="NRML")
    assert field_errors(html) == {} and 'data-testid="ticket-margin">₹' in html


# --- 13: the trading state, shown and applied ------------------------------------------------------------


def test_a_halted_account_says_so_in_the_top_bar_and_its_ticket_cannot_submit(client, trader, market):
    html = client.get("/").content.decode()
    assert 'data-testid="risk-status"' not in html and 'data-risk-state="ACTIVE"' in html
    kill_switch_activate(account=default_account_for(trader), actor="user:t", square_off=False)
    for path in ("/", "/trading/orders/", "/trading/positions/", "/market/instruments/NSE/SBIN-EQ/"):
        html = client.get(path).content.decode()
        assert re.search(r'data-testid="risk-status"[^>]*>\s*HALTED', html), path
        assert 'data-risk-state="HALTED"' in html, path
    html = client.get("/trading/orders/ticket/", {"instrument_id": market["SBIN-EQ"].id, "sheet": "1"}).content.decode()
    assert re.search(r'data-testid="ticket-submit"[^>]*disabled', html)
    assert 'data-testid="ticket-halted"' in html and "only cancellations" in html
    trading_state_reactivate(account=default_account_for(trader), actor="user:t")  # a paper account: the same day
    html = client.get("/trading/orders/ticket/", {"instrument_id": market["SBIN-EQ"].id}).content.decode()
    assert not re.search(r'data-testid="ticket-submit"[^>]*disabled', html)
    assert 'data-testid="risk-status"' not in client.get("/trading/status/").content.decode()


def test_a_reducing_account_says_reducing_and_its_ticket_explains(client, trader, market):
    profile = risk_profile_for(default_account_for(trader).id)
    profile.state, profile.state_reason = TradingState.REDUCING, "Daily loss limit reached"
    profile.save()
    html = client.get("/trading/status/").content.decode()
    assert re.search(r'data-testid="risk-status"[^>]*>\s*REDUCING', html)
    html = client.get("/trading/orders/ticket/", {"instrument_id": market["SBIN-EQ"].id}).content.decode()
    assert 'data-testid="ticket-reducing"' in html
    assert not re.search(r'data-testid="ticket-submit"[^>]*disabled', html)  # an order that reduces is taken
