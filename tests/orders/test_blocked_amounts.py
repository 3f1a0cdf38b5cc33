"""What an order and a position block, for each product and instrument type (orders.validation.blocked_amount).

Option buyers pay the full premium; option sellers and futures use the margin rate (sellers on the
strike value); CNC blocks the full value. Placement, modification and the open position agree.
"""

from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry

from accounts.models import TradingAccount
from accounts.selectors import default_account_for
from core.errors import InvalidInput, RuleViolation
from orders import services
from orders.models import Funds, LedgerEntry, Order, OrderStatus, Position
from orders.services import order_place
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db

CALL = "NIFTY29DEC2625500CE"  # strike 25,500, lot 65, tick 5
FUTURE = "NIFTY29DEC26FUT"  # lot 65


@pytest.fixture
def option(market):
    return set_quote("NFO", CALL, "200.00", bid="195.00", ask="205.00")


def reserved(trader, instrument, **kw) -> D:
    order, _ = order_place(user=trader, instrument=instrument, params=params(**kw))
    return order.reserved_amount


@pytest.mark.parametrize(
    ("symbol", "side", "product", "quantity", "limit", "expected"),
    [
        ("SBIN-EQ", "BUY", "CNC", 10, "790", D("7900")),  # delivery: the full value
        ("SBIN-EQ", "BUY", "MIS", 10, "790", D("1580")),  # intraday: 20%
        ("SBIN-EQ", "SELL", "MIS", 10, "810", D("1620")),  # intraday short: 20%
        (FUTURE, "BUY", "NRML", 65, "25900", D("252525")),  # future: 65 x 25,900 x 15%
        (FUTURE, "SELL", "NRML", 65, "26100", D("254475")),
        (FUTURE, "BUY", "MIS", 65, "25900", D("336700")),  # 20%
        (CALL, "BUY", "NRML", 65, "190", D("12350")),  # option buyer: the full premium, not 15% of it
        (CALL, "BUY", "MIS", 130, "190", D("24700")),  # also intraday
        (CALL, "SELL", "NRML", 65, "210", D("248625")),  # option seller: 25,500 x 65 x 15%
        (CALL, "SELL", "MIS", 65, "210", D("331500")),  # 25,500 x 65 x 20%
    ],
)
def test_a_limit_order_blocks_what_its_product_and_instrument_type_require(
    market, option, trader, symbol, side, product, quantity, limit, expected
):
    instrument = market[symbol]
    got = reserved(trader, instrument, side=side, product=product, quantity=quantity, order_type="LIMIT", price=limit)
    assert got == expected
    assert Funds.objects.get(account__user=trader).reserved == expected


def test_a_market_option_buy_blocks_the_premium_at_the_ask_plus_the_buffer(market, option, trader):
    got = reserved(trader, option, side="BUY", product="NRML", quantity=65)
    assert got == D("65") * D("205.00") * D("1.01")  # worst of last price and ask, plus 1%


def test_an_option_buy_the_trader_cannot_pay_for_in_full_is_refused(market, option, trader):
    # 65 x 200 x 100 lots = 13,00,000 premium: a 15% margin would have let it through with 10,00,000.
    with pytest.raises(RuleViolation) as refused:
        reserved(trader, option, side="BUY", product="NRML", quantity=6500, order_type="LIMIT", price="200")
    assert refused.value.code == "insufficient_funds"
    assert "₹13,00,000.00" in refused.value.message


def test_a_filled_option_buy_holds_its_premium_as_position_margin(market, option, trader, run):
    order = order_place(user=trader, instrument=option, params=params(side="BUY", product="NRML", quantity=65))[0]
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.FILLED and order.average_price == D("205")
    funds = Funds.objects.get(account__user=trader)
    assert (funds.margin_used, funds.reserved) == (D("13325"), D(0))  # 65 x 205: the premium paid


def test_a_filled_option_sale_holds_margin_on_the_strike_value(market, option, trader, run):
    order = order_place(user=trader, instrument=option, params=params(side="SELL", product="NRML", quantity=65))[0]
    run(services.order_submit, order_id=order.id)
    position = Position.objects.get(instrument=option)
    assert position.net_quantity == -65
    assert Funds.objects.get(account__user=trader).margin_used == D("248625")  # 25,500 x 65 x 15%
    assert services.position_margin(
        instrument=option, product="NRML", net_quantity=-65, average_price=position.average_price
    ) == D("248625")


def test_closing_a_long_option_blocks_nothing(market, option, trader, run):
    bought = order_place(user=trader, instrument=option, params=params(side="BUY", product="NRML", quantity=65))[0]
    run(services.order_submit, order_id=bought.id)
    assert reserved(trader, option, side="SELL", product="NRML", quantity=65, order_type="LIMIT", price="500") == 0


def test_modifying_an_option_buy_reserves_the_full_premium_of_the_change(market, option, trader, run):
    order = order_place(
        user=trader,
        instrument=option,
        params=params(side="BUY", product="NRML", quantity=65, order_type="LIMIT", price="100"),
    )[0]
    run(services.order_submit, order_id=order.id)
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN and order.reserved_amount == D("6500")
    services.order_modify(user=trader, order=order, changes={"quantity": 130})
    order.refresh_from_db()
    assert order.reserved_amount == D("13000")  # 130 x 100, not 15% of it


def test_the_estimate_the_ticket_shows_is_what_placement_reserves(market, option, trader):
    from accounts.selectors import default_account_for
    from marketdata.quotes import quotes_get

    account = default_account_for(trader)
    p = params(side="SELL", product="MIS", quantity=65)
    quote = quotes_get([option.id])[0][option.id]
    estimate = services.order_funds_required(account=account, instrument=option, params=p, quote=quote)
    order, _ = order_place(user=trader, instrument=option, params=p)
    assert estimate.amount == order.reserved_amount == D("331500")


# --- Funds a paper trader adds and withdraws ------------------------------------------------------


def test_a_deposit_and_a_withdrawal_are_ledger_entries_in_the_audit_trail(trader):
    account = default_account_for(trader)
    services.funds_deposit(user=trader, account=account, amount=D("50000.50"))
    services.funds_withdraw(user=trader, account=account, amount=D("20000"))
    funds = Funds.objects.get(account=account)
    assert funds.cash == D("1030000.50")
    kinds = list(LedgerEntry.objects.filter(account=account).values_list("kind", "amount")[:2])
    assert kinds == [("WITHDRAWAL", D("-20000")), ("DEPOSIT", D("50000.50"))]
    audit = LogEntry.objects.filter(content_type__model="ledgerentry", actor=trader).order_by("id")
    assert [e.changes["kind"][1] for e in audit] == ["DEPOSIT", "WITHDRAWAL"]


def test_a_withdrawal_never_takes_available_funds_below_zero(market, trader):
    account = default_account_for(trader)
    reserved(trader, market["SBIN-EQ"], side="BUY", product="CNC", quantity=100, order_type="LIMIT", price="790")
    # 10,00,000 cash, 79,000 blocked by the order: 9,21,000 available.
    with pytest.raises(RuleViolation) as refused:
        services.funds_withdraw(user=trader, account=account, amount=D("921000.01"))
    assert refused.value.code == "insufficient_funds" and "₹9,21,000.00" in refused.value.message
    services.funds_withdraw(user=trader, account=account, amount=D("921000"))
    assert Funds.objects.get(account=account).available == 0


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D(0), "invalid_amount"),
        (D("-5"), "invalid_amount"),
        (D("1.001"), "invalid_amount"),
        (D("NaN"), "invalid_amount"),
        (D("100000000.01"), "amount_too_large"),
    ],
)
def test_deposits_refuse_amounts_that_are_not_rupees_and_paise(trader, amount, code):
    with pytest.raises(InvalidInput) as refused:
        services.funds_deposit(user=trader, account=default_account_for(trader), amount=amount)
    assert refused.value.code == code


def test_a_live_account_moves_no_money_from_here(trader):
    account = default_account_for(trader)
    TradingAccount.objects.filter(id=account.id).update(mode=TradingAccount.Mode.LIVE)
    account.refresh_from_db()
    with pytest.raises(RuleViolation) as refused:
        services.funds_deposit(user=trader, account=account, amount=D("100"))
    assert refused.value.code == "live_account_funds"
    assert not Order.objects.exists() and LedgerEntry.objects.filter(kind="DEPOSIT").count() == 1  # the opening one


# --- Numbers in messages ---------------------------------------------------------------------------


def test_messages_show_numbers_as_traders_read_them(market, settings):
    from orders.validation import check_against_market, check_shape
    from tests.marketdata.factories import InstrumentFactory

    def refused(check) -> str:
        with pytest.raises((InvalidInput, RuleViolation)) as error:
            check()
        return error.value.message

    infy, five = market["INFY-EQ"], InstrumentFactory(tick_size=D("5"), lot_size=1)
    off_tick = params(order_type="LIMIT", price="1500.03")
    assert "tick size 0.05 (e.g. 1,500.00 or 1,500.05)." in refused(lambda: check_shape(off_tick, infy))
    off_five = params(order_type="LIMIT", price="1502")  # once written "e.g. 1.5E+3 or 1.505E+3"
    assert "tick size 5 (e.g. 1,500.00 or 1,505.00)." in refused(lambda: check_shape(off_five, five))
    stop = params(side="BUY", order_type="SL-M", trigger="1500")
    quote = set_quote("NSE", "INFY-EQ", "1577.1")
    from marketdata.quotes import quotes_get

    live = quotes_get([quote.id])[0][quote.id]
    assert "above the last price 1,577.10." in refused(lambda: check_against_market(stop, live, False))
    settings.ORDER_MAX_QUANTITY = 100000
    big = params(quantity=250000)
    assert "Quantity 2,50,000 is above the per-order limit of 1,00,000." in refused(lambda: check_shape(big, infy))
