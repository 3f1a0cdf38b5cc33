"""Every order rule answers with its own code, a 4xx, and changes nothing."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from orders.models import Funds, Order
from tests.conftest import jwt_client
from tests.orders.conftest import set_quote

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


def body(**overrides):
    base = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 10,
        "order_type": "MARKET",
        "product": "CNC",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


CASES = [
    # (overrides, status, code, field)
    ({"symbol": "NOPE-EQ"}, 404, "unknown_symbol", None),
    ({"symbol": "Nifty 50"}, 422, "instrument_not_tradable", "symbol"),
    ({"quantity": 0}, 400, "invalid_quantity", "quantity"),
    ({"quantity": -5}, 400, "invalid_quantity", "quantity"),
    ({"quantity": 10**12}, 400, "quantity_too_large", "quantity"),
    (
        {"exchange": "NFO", "symbol": "NIFTY29DEC26FUT", "product": "NRML", "quantity": 100},
        422,
        "quantity_not_lot_multiple",
        "quantity",
    ),
    ({"order_type": "LIMIT"}, 422, "price_required", "price"),
    ({"order_type": "LIMIT", "price": "800.03"}, 422, "price_not_tick_multiple", "price"),
    ({"order_type": "LIMIT", "price": "-5"}, 400, "invalid_price", "price"),
    ({"price": "800"}, 422, "price_not_allowed", "price"),
    ({"order_type": "SL-M"}, 422, "trigger_price_required", "trigger_price"),
    (
        {"order_type": "SL", "price": "810", "trigger_price": "805.02"},
        422,
        "trigger_price_not_tick_multiple",
        "trigger_price",
    ),
    (
        {"order_type": "LIMIT", "price": "800", "trigger_price": "805"},
        422,
        "trigger_price_not_allowed",
        "trigger_price",
    ),
    ({"order_type": "SL-M", "trigger_price": "790"}, 422, "trigger_price_wrong_side", "trigger_price"),
    (
        {"side": "SELL", "product": "MIS", "order_type": "SL-M", "trigger_price": "810"},
        422,
        "trigger_price_wrong_side",
        "trigger_price",
    ),
    ({"order_type": "SL", "trigger_price": "810", "price": "805"}, 422, "price_wrong_side_of_trigger", "price"),
    (
        {"side": "SELL", "product": "MIS", "order_type": "SL", "trigger_price": "790", "price": "795"},
        422,
        "price_wrong_side_of_trigger",
        "price",
    ),
    ({"validity": "IOC", "order_type": "SL-M", "trigger_price": "810"}, 422, "ioc_not_allowed", "validity"),
    ({"exchange": "NFO", "symbol": "NIFTY29DEC26FUT", "quantity": 65}, 422, "product_not_allowed", "product"),
    ({"product": "NRML"}, 422, "product_not_allowed", "product"),
    ({"quantity": 2000}, 422, "insufficient_funds", "quantity"),
    ({"side": "SELL"}, 422, "insufficient_holdings", "quantity"),
    ({"symbol": "TCS-EQ"}, 422, "no_market_price", "symbol"),
    ({"side": "BUX"}, 400, "validation_error", "side"),
    ({"quantity": "ten"}, 400, "validation_error", "quantity"),
    ({"quantity": 1.5}, 400, "validation_error", "quantity"),
    ({"order_type": "LIMIT", "price": "NaN"}, 400, "validation_error", "price"),
    ({"order_type": "LIMIT", "price": "1e999"}, 400, "invalid_price", "price"),
    ({"stop_loss": "790"}, 400, "unknown_field", "stop_loss"),
    ({"client_order_id": "has spaces"}, 400, "validation_error", "client_order_id"),
]


@pytest.mark.parametrize(("overrides", "status", "code", "field"), CASES)
def test_each_rule_has_its_own_code_and_changes_nothing(market, trader, overrides, status, code, field):
    funds_before = Funds.objects.get(account__user=trader)
    response = jwt_client(trader).post(URL, body(**overrides), format="json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field:
        assert field in error["fields"]
    assert not Order.objects.exists()
    after = Funds.objects.get(account__user=trader)
    assert (after.cash, after.reserved) == (funds_before.cash, funds_before.reserved)


def test_a_stale_price_refuses_market_orders_but_not_limit_orders(market, trader):
    set_quote("NSE", "SBIN-EQ", "800", at=datetime.now(UTC) - timedelta(minutes=5))
    client = jwt_client(trader)
    stale = client.post(URL, body(), format="json")
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "stale_market_price"
    limit = client.post(URL, body(order_type="LIMIT", price="790"), format="json")
    assert limit.status_code == 201


def test_an_expired_contract_cannot_be_traded(market, trader):
    from marketdata.models import Instrument

    future = Instrument.objects.get(symbol="SBIN29DEC26FUT")
    future.expiry = date(2020, 1, 30)
    future.save(update_fields=["expiry"])
    set_quote("NFO", "SBIN29DEC26FUT", "800")
    response = jwt_client(trader).post(
        URL, body(exchange="NFO", symbol="SBIN29DEC26FUT", product="NRML", quantity=750), format="json"
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "instrument_expired"


def test_a_user_without_a_trading_account_is_told_so(market):
    from tests.accounts.factories import UserFactory

    response = jwt_client(UserFactory()).post(URL, body(), format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_trading_account"


def test_funds_are_reserved_at_the_worst_price_plus_buffer(market, trader):
    response = jwt_client(trader).post(URL, body(quantity=10), format="json")
    assert response.status_code == 201
    # ask 800.05 is the worst of ltp/ask; +1% buffer; CNC blocks the full value.
    expected = (Decimal("800.05") * Decimal("1.01") * 10).quantize(Decimal("0.0001"))
    assert Decimal(response.json()["reserved_amount"]) == expected
    funds = Funds.objects.get(account__user=trader)
    assert funds.reserved == expected


def test_mis_blocks_only_the_margin_share(market, trader, settings):
    settings.MIS_MARGIN_RATE = Decimal("0.2")
    response = jwt_client(trader).post(URL, body(product="MIS", order_type="LIMIT", price="790"), format="json")
    assert Decimal(response.json()["reserved_amount"]) == Decimal("1580.0000")  # 10 * 790 * 0.2
