"""The adapter against the fake over real HTTP: orders, fills, the books, money, market data."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from brokers.angelone import endpoints as ep
from brokers.angelone.adapter import AngelOneBroker
from brokers.base import (
    BrokerRejected,
    BrokerStatus,
    ModifyOrderRequest,
    OrderType,
    PlaceOrderRequest,
    Product,
    Side,
    Validity,
)
from marketdata.models import Instrument


@pytest.fixture
def instruments(db):
    rows = [
        ("NSE", "3045", "SBIN-EQ", "EQ"),
        ("NSE", "1594", "INFY-EQ", "EQ"),
        ("NSE", "2885", "RELIANCE-EQ", "EQ"),
    ]
    return {
        symbol: Instrument.objects.create(
            exchange=exchange,
            token=token,
            symbol=symbol,
            name=symbol.split("-")[0],
            instrument_type=kind,
            lot_size=1,
            tick_size=Decimal("0.05"),
        )
        for exchange, token, symbol, kind in rows
    }


def order(tag="T1", order_type=OrderType.MARKET, price=None, trigger=None, side=Side.BUY, quantity=10, **kw):
    return PlaceOrderRequest(
        tag=tag,
        exchange=kw.get("exchange", "NSE"),
        symbol=kw.get("symbol", "SBIN-EQ"),
        token=kw.get("token", "3045"),
        side=side,
        quantity=quantity,
        order_type=order_type,
        product=kw.get("product", Product.CNC),
        validity=Validity.DAY,
        price=price,
        trigger_price=trigger,
    )


def test_a_market_order_fills_and_its_trade_and_position_follow(live_account, fake):
    broker = AngelOneBroker(live_account.account)

    placed = broker.place_order(order(tag="T101"))

    assert placed.status == BrokerStatus.COMPLETE
    assert (placed.tag, placed.filled_quantity, placed.average_price) == ("T101", 10, Decimal("800.00"))
    assert placed.algo_id == "GENERIC"
    sent = next(iter(fake.state.orders.values()))
    assert (sent["producttype"], sent["variety"], sent["ordertype"], sent["ordertag"]) == (
        "DELIVERY",
        "NORMAL",
        "MARKET",
        "T101",
    )
    [trade] = broker.trades(placed.broker_order_id)
    assert (trade.tag, trade.quantity, trade.price, trade.side) == ("T101", 10, Decimal("800.00"), Side.BUY)
    [position] = broker.positions()
    assert (position.symbol, position.product, position.net_quantity, position.average_price) == (
        "SBIN-EQ",
        Product.CNC,
        10,
        Decimal("800.00"),
    )
    funds = broker.funds()
    assert funds.available == Decimal("992000.00") and funds.used_margin == Decimal("8000.00")


def test_a_limit_order_rests_is_modified_then_filled_at_the_broker(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    placed = broker.place_order(
        order(tag="T102", order_type=OrderType.LIMIT, price=Decimal("790.50"), product=Product.MIS)
    )
    assert (placed.status, placed.filled_quantity, placed.price) == (BrokerStatus.OPEN, 0, Decimal("790.50"))

    modified = broker.modify_order(
        placed.broker_order_id, ModifyOrderRequest(quantity=15, order_type=OrderType.LIMIT, price=Decimal("791"))
    )
    assert (modified.status, modified.quantity, modified.price) == (BrokerStatus.OPEN, 15, Decimal("791"))
    assert fake.state.orders[placed.broker_order_id]["producttype"] == "INTRADAY"

    fake.admin("POST", f"orders/{placed.broker_order_id}/fill", {"price": "791"})
    now = broker.order_status(placed.broker_order_id)
    assert (now.status, now.filled_quantity, now.average_price) == (BrokerStatus.COMPLETE, 15, Decimal("791.00"))


def test_stop_orders_go_as_stoploss_variety_and_wait_for_their_trigger(live_account, fake):
    broker = AngelOneBroker(live_account.account)

    placed = broker.place_order(
        order(tag="T103", order_type=OrderType.SL, price=Decimal("780"), trigger=Decimal("781"), side=Side.SELL)
    )

    sent = fake.state.orders[placed.broker_order_id]
    assert (sent["variety"], sent["ordertype"], sent["triggerprice"]) == ("STOPLOSS", "STOPLOSS_LIMIT", "781")
    assert placed.status == BrokerStatus.TRIGGER_PENDING


def test_cancel_cancels_once_and_cancelling_again_is_harmless(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    placed = broker.place_order(order(tag="T104", order_type=OrderType.LIMIT, price=Decimal("700")))

    cancelled = broker.cancel_order(placed.broker_order_id)
    again = broker.cancel_order(placed.broker_order_id)

    assert cancelled.status == again.status == BrokerStatus.CANCELLED
    assert fake.state.requests["cancelOrder"] == 1


def test_cancelling_a_filled_order_is_refused_with_the_brokers_reason(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    placed = broker.place_order(order(tag="T105"))

    with pytest.raises(BrokerRejected) as caught:
        broker.cancel_order(placed.broker_order_id)

    assert "complete" in caught.value.message


def test_the_order_book_finds_orders_by_tag_and_lists_orders_placed_elsewhere(live_account, fake):
    broker = AngelOneBroker(live_account.account)
    ours = broker.place_order(order(tag="T106", order_type=OrderType.LIMIT, price=Decimal("700")))
    body = {
        "variety": "NORMAL",
        "tradingsymbol": "INFY-EQ",
        "symboltoken": "1594",
        "transactiontype": "BUY",
        "exchange": "NSE",
        "ordertype": "LIMIT",
        "producttype": "DELIVERY",
        "duration": "DAY",
        "price": "1400",
        "quantity": "1",
    }
    broker.client.request(ep.PLACE, body)

    assert broker.find_order_by_tag("T106").broker_order_id == ours.broker_order_id
    assert broker.find_order_by_tag("T999") is None
    external = broker.external_orders(is_ours=lambda tag: tag.startswith("T"))
    assert [(o.tag, o.price) for o in external] == [("", Decimal("1400"))]
    assert set(broker.orders_by_tag()) == {"T106"}


def test_unknown_symbols_and_bad_tags_are_rejected_with_stable_codes(live_account, fake):
    broker = AngelOneBroker(live_account.account)

    with pytest.raises(BrokerRejected) as unknown:
        broker.place_order(order(tag="T107", token="999999"))

    assert unknown.value.code == "symbol_not_found"
    assert "Symbol not found" in unknown.value.message


def test_a_late_rejection_shows_in_the_order_status_with_the_brokers_text(live_account, fake):
    fake.faults(late_reject_next=1, late_reject_after=0.1)
    broker = AngelOneBroker(live_account.account)

    placed = broker.place_order(order(tag="T108"))
    assert placed.status == BrokerStatus.OPEN  # accepted, not done
    import time

    deadline = time.monotonic() + 5
    while broker.order_status(placed.broker_order_id).status != BrokerStatus.REJECTED:
        assert time.monotonic() < deadline, "the late rejection never showed"
        time.sleep(0.1)

    assert "Margin Exceeds" in broker.order_status(placed.broker_order_id).message


def test_holdings_count_t1_shares(live_account, fake):
    [holding] = AngelOneBroker(live_account.account).holdings()

    assert (holding.symbol, holding.net_quantity, holding.average_price) == ("INFY-EQ", 10, Decimal("1400.50"))


def test_quotes_come_in_requests_of_at_most_50_tokens(live_account, fake, instruments):
    for n in range(57):
        Instrument.objects.create(
            exchange="NSE", token=str(70000 + n), symbol=f"X{n}-EQ", name=f"X{n}", lot_size=1, tick_size=Decimal("0.05")
        )
    keys = [("NSE", "SBIN-EQ"), ("NSE", "INFY-EQ")] + [("NSE", f"X{n}-EQ") for n in range(57)]

    quotes = AngelOneBroker(live_account.account).quotes(keys)

    assert fake.state.requests["quote"] == 2
    assert fake.state.quote_max_tokens == 50
    by_symbol = {q.symbol: q for q in quotes}
    assert set(by_symbol) == {"SBIN-EQ", "INFY-EQ"}  # the fake knows only these two of the 59
    assert (by_symbol["SBIN-EQ"].ltp, by_symbol["SBIN-EQ"].bid, by_symbol["SBIN-EQ"].ask) == (
        Decimal("800.00"),
        Decimal("799.95"),
        Decimal("800.05"),
    )


def test_candles_are_fetched_in_windows_within_the_intervals_day_limit(live_account, fake, instruments):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2026, 3, 12, tzinfo=UTC)  # 70 days of minute candles: 30 + 30 + 10

    candles = AngelOneBroker(live_account.account).candles("NSE", "SBIN-EQ", "1m", start, end)

    windows = fake.state.candle_windows
    assert [w[0] for w in windows] == ["ONE_MINUTE"] * 3
    assert len(candles) == 50 * 375  # 50 weekdays of 375 minutes
    starts = [c["start"] for c in candles]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(start <= s < end for s in starts)
    assert isinstance(candles[0]["open"], Decimal)
