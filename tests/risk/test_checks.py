"""Each pre-trade check at its boundary: exactly at the limit passes, one tick or one unit over fails."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from accounts.selectors import default_account_for
from core import clock
from orders import services
from orders.models import Order, OrderStatus
from risk.models import RiskEvent
from risk.profiles import risk_profile_for
from tests.conftest import jwt_client
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db
URL = "/api/v1/orders/"


@pytest.fixture
def limits(trader):
    """Set some of the trader's limits: limits(max_quantity_equity=10)."""

    def set_limits(**values):
        profile = risk_profile_for(default_account_for(trader).id)
        for name, value in values.items():
            setattr(profile, name, value)
        profile.save()
        return profile

    return set_limits


def place(trader, instrument, **kw):
    return services.order_place(user=trader, instrument=instrument, params=params(**kw))[0]


def refused(trader, instrument, **kw) -> str:
    with pytest.raises(Exception) as caught:
        place(trader, instrument, **kw)
    return caught.value.code


def limit_buy(trader, market, price, quantity=10, symbol="SBIN-EQ", product="CNC"):
    return place(trader, market[symbol], order_type="LIMIT", price=price, quantity=quantity, product=product)


def test_max_order_value_per_instrument_class(market, trader, limits):
    limits(max_order_value_equity=D("8000.00"))
    assert limit_buy(trader, market, "800.00").status == OrderStatus.NEW  # 10 x 800.00 = 8,000.00
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="800.05", quantity=10) == "risk_max_order_value"


def test_max_quantity_per_order(market, trader, limits):
    limits(max_quantity_equity=10)
    assert limit_buy(trader, market, "800.00", quantity=10)
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="800.00", quantity=11) == "risk_max_quantity"


@pytest.mark.parametrize(
    ("price", "code"),
    [("840.00", None), ("840.05", "risk_price_band"), ("760.00", None), ("759.95", "risk_price_band")],
)
def test_a_limit_price_further_than_the_band_from_the_last_price_is_refused(market, trader, limits, price, code):
    limits(price_band_pct_equity=D("5"))  # the last price is 800.00: 5% is 40.00
    if code is None:
        assert limit_buy(trader, market, price)
    else:
        assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price=price) == code


def test_a_price_outside_the_days_circuit_limits_is_refused(market, trader, limits):
    from marketdata import limits as exchange_limits

    exchange_limits.circuit_limits_load(text="exchange,symbol,lower,upper\nNSE,SBIN-EQ,720.00,880.00\n")
    limits(price_band_pct_equity=D("50"))
    assert limit_buy(trader, market, "880.00")
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="880.05") == "risk_circuit_limit"
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="719.95") == "risk_circuit_limit"


def test_an_order_above_the_exchanges_freeze_quantity_is_refused(market, trader):
    from marketdata import limits as exchange_limits

    exchange_limits.freeze_quantities_load(text="SYMBOL,VOL_FRZ_QTY\nNIFTY,130\n")
    future = market["NIFTY29DEC26FUT"]
    assert place(trader, future, quantity=130, product="NRML")  # two lots of 65
    assert refused(trader, future, quantity=195, product="NRML") == "risk_freeze_quantity"


def test_max_open_orders(market, trader, limits):
    limits(max_open_orders=2)
    limit_buy(trader, market, "790.00"), limit_buy(trader, market, "790.00")
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00") == "risk_max_open_orders"


def test_max_position_value_per_instrument(market, trader, limits):
    limits(max_position_value=D("8000.00"))
    assert limit_buy(trader, market, "800.00")  # the position it would make: 10 x 800.00
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="800.05") == "risk_max_position_value"


def test_max_gross_exposure_counts_open_orders_and_positions(market, trader, limits):
    limits(max_gross_exposure=D("16000.00"))
    limit_buy(trader, market, "800.00")
    assert limit_buy(trader, market, "800.00")  # 8,000 + 8,000
    code = refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="800.00", quantity=1)
    assert code == "risk_max_gross_exposure"


@pytest.mark.parametrize(("window", "step"), [("second", timedelta(seconds=1)), ("minute", timedelta(minutes=1))])
def test_orders_per_second_and_minute(market, trader, limits, monkeypatch, window, step):
    limits(**{f"max_orders_per_{window}": 3})
    moment = clock.now()
    monkeypatch.setattr("core.clock.now", lambda: moment)
    for _ in range(3):
        limit_buy(trader, market, "790.00", quantity=1)
    assert refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=1) == (
        f"risk_max_orders_per_{window}"
    )
    assert Order.objects.count() == 3  # a rate refusal is not stored: a runaway loop must not write at its speed
    monkeypatch.setattr("core.clock.now", lambda: moment + step)
    assert limit_buy(trader, market, "790.00", quantity=1)


def test_a_runaway_loop_stops_at_the_daily_cap(market, trader, limits):
    limits(max_orders_per_day=5)
    for _ in range(5):
        limit_buy(trader, market, "790.00", quantity=1)
    codes = {refused(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=1) for _ in range(20)}
    assert codes == {"risk_max_orders_per_day"}


@pytest.mark.parametrize(
    ("limit", "value", "code"),
    [
        ("allowed_exchanges", ["NSE"], "risk_exchange_not_allowed"),
        ("allowed_products", ["CNC", "MIS"], "risk_product_not_allowed"),
        ("allowed_instrument_classes", ["equity"], "risk_instrument_not_allowed"),
    ],
)
def test_only_allowed_exchanges_products_and_instrument_classes(market, trader, limits, limit, value, code):
    limits(**{limit: value})
    assert place(trader, market["SBIN-EQ"], quantity=1)  # NSE, CNC, equity: allowed in every case
    assert refused(trader, market["NIFTY29DEC26FUT"], quantity=65, product="NRML") == code


def test_a_stock_in_the_fno_ban_takes_only_reducing_derivative_orders(market, trader, run):
    from marketdata import limits as exchange_limits

    future = set_quote("NFO", "SBIN29DEC26FUT", "805.00", bid="804.00", ask="806.00")
    bought = place(trader, future, quantity=750, product="NRML")
    run(services.order_submit, order_id=bought.id)
    exchange_limits.fno_ban_load(text="1,SBIN\n")
    assert refused(trader, future, quantity=750, product="NRML") == "risk_fno_ban"
    assert place(trader, future, side="SELL", quantity=750, product="NRML").status == OrderStatus.NEW  # reduces
    assert place(trader, market["SBIN-EQ"], quantity=1)  # the stock itself trades as usual


def test_a_refusal_is_kept_in_the_book_with_its_reason_and_repeats_for_the_same_key(market, trader, limits):
    limits(max_quantity_equity=5)
    body = {
        "exchange": "NSE",
        "symbol": "SBIN-EQ",
        "side": "BUY",
        "quantity": 6,
        "order_type": "MARKET",
        "product": "CNC",
        "client_order_id": "loop-1",
    }
    first = jwt_client(trader).post(URL, body, format="json")
    assert (first.status_code, first.json()["error"]["code"]) == (422, "risk_max_quantity")
    assert "limit of 5" in first.json()["error"]["message"]
    order = Order.objects.get(client_order_id="loop-1")
    assert (order.status, order.rejection_code, order.reserved_amount) == (OrderStatus.REJECTED, "risk_max_quantity", 0)
    assert order.events.get().reason.startswith("Refused by risk checks")
    again = jwt_client(trader).post(URL, body, format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (422, "risk_max_quantity")
    assert Order.objects.filter(client_order_id="loop-1").count() == 1
    assert RiskEvent.objects.filter(kind="REJECTED", code="risk_max_quantity").count() == 1


def test_a_modification_meets_the_same_limits(market, trader, limits, run):
    limits(max_quantity_equity=10)
    order = limit_buy(trader, market, "790.00")
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    with pytest.raises(Exception) as caught:
        services.order_modify(user=trader, order=order, changes={"quantity": 11})
    assert caught.value.code == "risk_max_quantity"
