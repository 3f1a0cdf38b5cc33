"""Quotes and candles as the feed moves them, and an order's life as the platform moves it, over the stream."""

from decimal import Decimal

import pytest

from orders.services import order_place
from tests.accounts.factories import UserFactory
from tests.orders.conftest import market, params, trader  # noqa: F401 - fixtures
from tests.processes import FeedProcess

from .conftest import access_token

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_quote_arrives_at_once_and_again_as_the_feed_moves_it(stream_server, ws_client, market):  # noqa: F811
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(UserFactory()))
    assert client.subscribe("quotes:NSE:SBIN-EQ")["op"] == "subscribed"
    first = client.until(lambda m: m.get("topic") == "quotes:NSE:SBIN-EQ", what="the current quote")
    assert first["data"]["ltp"] == "800.00" and first["data"]["symbol"] == "SBIN-EQ"
    assert "seq" not in first

    feed = FeedProcess("--source", "simulated", "--rate", "8", "--symbols", "NSE:SBIN-EQ").start()
    try:
        moves = [client.until(lambda m: m.get("topic") == "quotes:NSE:SBIN-EQ", what="a quote from the feed")]
        moves.append(client.until(lambda m: m.get("topic") == "quotes:NSE:SBIN-EQ", what="the next quote"))
    finally:
        feed.stop()
    stamps = [m["data"]["timestamp"] for m in (first, *moves)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3


def test_an_order_and_the_funds_it_blocks_reach_the_owner(stream_server, ws_client, market, trader):  # noqa: F811
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(trader))
    client.subscribe("orders", "funds")

    order, _ = order_place(
        user=trader, instrument=market["SBIN-EQ"], params=params(order_type="LIMIT", price=790, quantity=5)
    )

    placed = client.until(lambda m: m.get("topic") == "orders", what="the order's event")
    assert placed["data"]["id"] == order.pk and placed["data"]["status"] == "NEW"
    assert placed["data"]["change"] == {"from": None, "to": "NEW", "reason": placed["data"]["change"]["reason"]}
    assert placed["data"]["account"] == order.account_id
    funds = client.until(lambda m: m.get("topic") == "funds", what="the funds' event")
    assert Decimal(funds["data"]["reserved"]) == order.reserved_amount
    assert funds["seq"] != placed["seq"]


def test_the_forming_candle_comes_as_the_feed_builds_it(stream_server, ws_client, market):  # noqa: F811
    server = stream_server()
    client = ws_client(server)
    client.auth(access_token(UserFactory()))
    assert client.subscribe("candles:NSE:SBIN-EQ:1m")["topics"] == ["candles:NSE:SBIN-EQ:1m"]

    feed = FeedProcess("--source", "simulated", "--rate", "8", "--symbols", "NSE:SBIN-EQ").start()
    try:
        candle = client.until(lambda m: m.get("topic") == "candles:NSE:SBIN-EQ:1m", what="the forming candle")
        later = client.until(lambda m: m.get("topic") == "candles:NSE:SBIN-EQ:1m", what="the candle again")
    finally:
        feed.stop()
    data = candle["data"]
    assert set(data) == {"start", "open", "high", "low", "close", "volume"}
    assert Decimal(data["low"]) <= Decimal(data["close"]) <= Decimal(data["high"])
    assert data["start"].endswith(":00Z")
    same_minute = later["data"]["start"] == data["start"]
    assert later["data"]["volume"] >= data["volume"] if same_minute else later["data"]["start"] > data["start"]
