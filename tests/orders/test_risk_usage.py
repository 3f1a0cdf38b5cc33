"""The running risk usage on each account's Funds row (orders/books/): kept by every path that moves an
order or realises P&L, read by the checks instead of counting orders, and held to the rows by usage_verify.
(Every other database test also ends by checking running == counted: tests/conftest.py `_risk_usage_holds`.)"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import default_account_for
from brokers.base import BrokerOrder, BrokerStatus, BrokerTrade, OrderUpdate
from core import clock, events
from orders import services
from orders.books import AccountBooks, risk_usage_verify, usage_for, usage_recount, usage_running
from orders.models import Funds, LedgerEntry, Order, OrderStatus, Trade
from tests.orders.conftest import params, set_quote

pytestmark = pytest.mark.django_db


def place(trader, instrument, **kw):
    return services.order_place(user=trader, instrument=instrument, params=params(**kw))[0]


def funds_of(trader) -> Funds:
    return Funds.objects.get(account__user=trader)


def open_totals(trader) -> tuple[int, D]:
    """The running open-order totals, after checking they equal what the order rows say."""
    funds = funds_of(trader)
    counted = usage_recount(funds.account_id)
    assert usage_running(funds) == counted
    return counted.open_totals


def fill(order, quantity: int, at: str, *, status=BrokerStatus.OPEN, trade_id="t1"):
    """The broker reports `quantity` more filled at `at` (the one path fills take)."""
    done = order.filled_quantity + quantity
    broker_order = BrokerOrder(
        broker_order_id=f"B{order.id}",
        tag=order.broker_tag,
        status=status,
        quantity=order.quantity,
        filled_quantity=done,
        average_price=D(at),
    )
    trade = BrokerTrade(
        trade_id=trade_id,
        broker_order_id=f"B{order.id}",
        tag=order.broker_tag,
        side=order.side,
        quantity=quantity,
        price=D(at),
        executed_at=datetime.now(UTC),
    )
    return services.order_apply_update(
        update=OrderUpdate(account_id=order.account_id, order=broker_order, trades=(trade,))
    )


def test_open_orders_and_their_value_follow_an_order_through_fills_a_modification_and_a_cancel(market, trader, run):
    order = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=10)
    assert open_totals(trader) == (1, D("7900.00"))
    run(services.order_submit, order_id=order.id)  # resting at the paper exchange
    assert open_totals(trader) == (1, D("7900.00"))

    order = fill(order, 4, "790.00")
    assert order.status == OrderStatus.PARTIALLY_FILLED
    assert open_totals(trader) == (1, D("4740.00"))  # 6 unfilled x 790.00

    run(services.order_modify, user=trader, order=order, changes={"price": D("780.00")})
    assert open_totals(trader) == (1, D("4740.00"))  # asked, not yet confirmed by the broker
    run(services.order_modify_submit, order_id=order.id)
    assert open_totals(trader) == (1, D("4680.00"))  # confirmed: 6 x 780.00

    run(services.order_cancel, user=trader, order=order)
    run(services.order_cancel_submit, order_id=order.id)
    assert open_totals(trader) == (0, D(0))


def test_a_market_order_counts_at_the_price_it_was_checked_at_until_it_fills(market, trader, run):
    order = place(trader, market["SBIN-EQ"], quantity=10)
    assert order.check_price == D("808.0505")  # the ask 800.05 plus the 1% MARKET buffer
    assert open_totals(trader) == (1, D("8080.505"))
    run(services.order_submit, order_id=order.id)
    assert open_totals(trader) == (0, D(0))


def test_an_order_the_broker_rejects_and_one_the_day_expires_leave_the_open_totals(market, trader, run):
    rejected = place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=1)
    expiring = place(trader, market["INFY-EQ"], order_type="LIMIT", price="1490.00", quantity=2)
    run(services.order_submit, order_id=expiring.id)
    assert open_totals(trader) == (2, D("3770.00"))
    broker_order = BrokerOrder(
        broker_order_id="B1",
        tag=rejected.broker_tag,
        status=BrokerStatus.REJECTED,
        quantity=1,
        message="RMS: margin exceeds",
    )
    services.order_apply_update(update=OrderUpdate(account_id=rejected.account_id, order=broker_order))
    assert open_totals(trader) == (1, D("2980.00"))
    run(services.orders_expire_day)  # asks the broker to cancel it at the end of the day: still open
    assert open_totals(trader) == (1, D("2980.00"))
    run(services.order_cancel_submit, order_id=expiring.id)
    assert Order.objects.get(id=expiring.id).status == OrderStatus.EXPIRED
    assert open_totals(trader) == (0, D(0))


def test_realised_pnl_and_the_days_order_count_start_again_on_the_next_trading_day(market, trader, run, monkeypatch):
    bought = place(trader, market["SBIN-EQ"], quantity=10, product="MIS")
    run(services.order_submit, order_id=bought.id)  # 10 at the ask, 800.05
    set_quote("NSE", "SBIN-EQ", "810.00", bid="810.00", ask="810.10")
    sold = place(trader, market["SBIN-EQ"], side="SELL", quantity=10, product="MIS")
    run(services.order_submit, order_id=sold.id)  # 10 at the bid, 810.00
    usage = usage_for(funds_of(trader))
    assert (usage.orders_today, usage.realised_today) == (2, D("99.5000"))  # (810.00 - 800.05) x 10

    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr("core.clock.now", lambda: tomorrow)
    usage = usage_for(funds_of(trader))
    assert (usage.orders_today, usage.realised_today) == (0, D(0))
    place(trader, market["SBIN-EQ"], order_type="LIMIT", price="800.00", quantity=1)
    assert usage_for(funds_of(trader)).orders_today == 1


def test_charges_are_a_debit_of_cash_in_the_ledger_and_count_against_the_days_realised_pnl(market, trader, run):
    bought = place(trader, market["SBIN-EQ"], quantity=10, product="MIS")
    run(services.order_submit, order_id=bought.id)
    trade = Trade.objects.get(order=bought)
    cash_before = funds_of(trader).cash

    with AccountBooks.locked(bought.account_id) as books:
        entry = books.fee(D("20.36"), trade=trade, note="brokerage and taxes")

    funds = funds_of(trader)
    assert (entry.kind, entry.amount, entry.balance_after, entry.trade_id) == (
        LedgerEntry.Kind.CHARGES,
        D("-20.36"),
        funds.cash,
        trade.id,
    )
    assert funds.cash == cash_before - D("20.36")
    assert usage_for(funds).realised_today == D("-20.36")
    assert usage_running(funds) == usage_recount(funds.account_id)  # the recount reads the same rows
    with AccountBooks.locked(bought.account_id) as books, pytest.raises(ValueError):
        books.fee(D("-1"), note="a refund is an adjustment, not a negative fee")


def test_the_rate_limits_count_in_clock_seconds_and_minutes(market, trader, monkeypatch):
    start = datetime(2026, 11, 30, 4, 0, 0, 900_000, tzinfo=UTC)  # 09:30:00.9 IST

    def place_at(moment) -> tuple[int, int]:
        monkeypatch.setattr("core.clock.now", lambda: moment)
        place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=1)
        usage = usage_for(funds_of(trader))
        return usage.orders_this_second, usage.orders_this_minute

    assert place_at(start) == (1, 1)
    assert place_at(start) == (2, 2)
    assert place_at(start + timedelta(milliseconds=200)) == (1, 3)  # 09:30:01.1: a new second, the same minute
    assert place_at(start + timedelta(seconds=59.1)) == (1, 1)  # 09:31:00.0: a new minute


def test_the_checks_read_no_order_ledger_or_position_rows(market, trader, run):
    """A placement reads the account's usage and positions from the locked Funds row: however many orders the
    day has had, a delivery buy selects no order, ledger or position rows (it inserts the order)."""
    sbin = market["SBIN-EQ"]
    held = place(trader, market["INFY-EQ"], quantity=2)
    run(services.order_submit, order_id=held.id)  # a position for the checks to value
    for _ in range(30):
        place(trader, sbin, order_type="LIMIT", price="790.00", quantity=1)
    with CaptureQueriesContext(connection) as queries:
        order = place(trader, sbin, order_type="LIMIT", price="790.00", quantity=1)
    assert order.status == OrderStatus.NEW
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    tables = ("orders_order", "orders_ledgerentry", "orders_position")
    read = [table for table in tables if f'"{table}"' in str(selects)]
    assert selects and read == []
    assert open_totals(trader) == (31, D("24490.00"))
    usage = usage_for(funds_of(trader))
    assert usage.positions == {market["INFY-EQ"].id: (2, D("1500.00"))}  # valued at the last price
    assert usage.gross_exposure == D("3000.00") + D("24490.00")


def test_usage_verify_sets_the_running_totals_from_the_rows_and_tells_monitoring(market, trader):
    place(trader, market["SBIN-EQ"], order_type="LIMIT", price="790.00", quantity=2)
    assert risk_usage_verify() == []
    heard = []
    events.subscribe("risk.usage_corrected", heard.append)
    Funds.objects.filter(account__user=trader).update(open_orders=7, open_order_value=D("1"), orders_today=0)
    try:
        assert risk_usage_verify() == [default_account_for(trader).id]
    finally:
        events._handlers[:] = [(name, h) for name, h in events._handlers if h != heard.append]
    assert open_totals(trader) == (1, D("1580.00"))
    assert usage_for(funds_of(trader)).orders_today == 1
    assert [(e.running["open_orders"], e.counted["open_orders"]) for e in heard] == [("7", "1")]
