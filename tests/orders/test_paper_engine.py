"""The paper exchange's rules and its price-indexed book."""

from decimal import Decimal as D

import pytest

from accounts.selectors import default_account_for
from brokers.models import PaperOrder
from brokers.paper.engine import MatchingEngine
from marketdata import fills as matching
from marketdata.bus import Tick
from tests.marketdata.factories import InstrumentFactory

M = matching.Market


def test_market_orders_fill_at_the_touch_plus_slippage_rounded_against_the_trader():
    market = M(ltp=D("100.00"), bid=D("99.95"), ask=D("100.05"))
    bps = matching.Slippage(bps=D("10"))
    assert matching.market_fill_price("BUY", market, D("0.05"), matching.NO_SLIPPAGE) == D("100.05")
    assert matching.market_fill_price("BUY", market, D("0.05"), bps) == D("100.20")  # 100.1505 -> up
    assert matching.market_fill_price("SELL", market, D("0.05"), bps) == D("99.85")  # 99.850 -> down
    no_ask = M(ltp=D("50"))
    assert matching.market_fill_price("BUY", no_ask, D("0.05"), matching.NO_SLIPPAGE) == D("50")  # the last price


def test_marketable_limits_fill_at_the_better_price_others_wait():
    market = M(ltp=D("100"), bid=D("99.95"), ask=D("100.05"))
    assert matching.marketable_limit_price("BUY", D("101"), market) == D("100.05")
    assert matching.marketable_limit_price("BUY", D("100"), market) is None
    assert matching.marketable_limit_price("SELL", D("99"), market) == D("99.95")
    assert matching.limit_crossed("BUY", D("100"), D("99.95")) and not matching.limit_crossed(
        "SELL", D("100"), D("99.95")
    )
    assert matching.stop_triggered("BUY", D("105"), D("105")) and matching.stop_triggered("SELL", D("95"), D("94"))


@pytest.mark.django_db
def test_a_tick_fills_only_the_crossed_orders_best_price_first():
    instrument = InstrumentFactory()
    limits = [D("90"), D("95"), D("99"), D("100"), D("101")]
    for i, price in enumerate(limits):
        PaperOrder.objects.create(
            account_id=1,
            tag=f"T{i}",
            instrument=instrument,
            side="BUY",
            quantity=1,
            order_type="LIMIT",
            product="MIS",
            validity="DAY",
            price=price,
            status="open",
        )
    engine = MatchingEngine(sync_interval=0)
    engine.load_all()
    assert engine.resting() == 5
    engine.on_tick(Tick(instrument.id, D("99.50"), 1.0, 1))
    filled = set(PaperOrder.objects.filter(status="complete").values_list("price", flat=True))
    assert filled == {D("100"), D("101")}
    assert engine.resting() == 3
    # The book's front is now the best remaining bid.
    assert engine.books[instrument.id].buy_limits[0].price == D("99")


@pytest.mark.django_db
def test_cancelled_and_modified_orders_leave_or_move_in_the_book_on_sync():
    instrument = InstrumentFactory()
    a = PaperOrder.objects.create(
        account_id=1,
        tag="A",
        instrument=instrument,
        side="SELL",
        quantity=1,
        order_type="LIMIT",
        product="MIS",
        validity="DAY",
        price=D("110"),
        status="open",
    )
    b = PaperOrder.objects.create(
        account_id=1,
        tag="B",
        instrument=instrument,
        side="SELL",
        quantity=1,
        order_type="LIMIT",
        product="MIS",
        validity="DAY",
        price=D("120"),
        status="open",
    )
    engine = MatchingEngine(sync_interval=0)
    engine.sync()
    PaperOrder.objects.filter(id=a.id).update(status="cancelled", version=1, engine_synced=False)
    PaperOrder.objects.filter(id=b.id).update(price=D("105"), version=1, engine_synced=False)
    engine.on_tick(Tick(instrument.id, D("106"), 1.0, 1))  # syncs first, then matches
    assert PaperOrder.objects.get(id=b.id).status == "complete"
    assert PaperOrder.objects.get(id=a.id).status == "cancelled"
    assert engine.resting() == 0


def test_placing_the_same_tag_twice_at_the_paper_exchange_returns_the_first_order(market, trader):
    from brokers.base import BrokerStatus, OrderType, PlaceOrderRequest, Product, Side, Validity
    from brokers.models import PaperFill
    from brokers.paper.exchange import PaperBroker

    request = PlaceOrderRequest(
        tag="T123456",
        exchange="NSE",
        symbol="SBIN-EQ",
        token=market["SBIN-EQ"].token,
        side=Side.BUY,
        quantity=5,
        order_type=OrderType.MARKET,
        product=Product.CNC,
        validity=Validity.DAY,
    )
    broker = PaperBroker(default_account_for(trader).id)
    first = broker.place_order(request)
    again = broker.place_order(request)
    assert (again.broker_order_id, again.status, again.filled_quantity) == (
        first.broker_order_id,
        BrokerStatus.COMPLETE,
        5,
    )
    assert PaperOrder.objects.filter(tag="T123456").count() == 1
    assert PaperFill.objects.filter(order__tag="T123456").count() == 1
